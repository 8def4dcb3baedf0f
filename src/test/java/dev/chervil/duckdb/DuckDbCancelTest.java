package dev.chervil.duckdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.task.TaskContext;
import dev.chervil.task.TaskRequest;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** DuckDB runs in native code: an interrupt does not stop it, the cancel hook does. */
class DuckDbCancelTest {

  @Test
  void runsAQuery() throws Exception {
    TaskContext ctx = new TaskContext(TaskRequest.of("q", "chervil.duckdb.query", List.of()));
    List<List<Object>> rows = DuckDbQuery.run(ctx, "SELECT sum(range), 'x' FROM range(4)", 1);
    assertEquals(1, rows.size());
    assertEquals(6L, ((Number) rows.get(0).get(0)).longValue());
    assertEquals("x", rows.get(0).get(1));
  }

  @Test
  void interruptAloneDoesNotStopALongQueryButTheCancelHookDoes() throws Exception {
    TaskContext ctx = new TaskContext(TaskRequest.of("q", "chervil.duckdb.query", List.of()));
    CompletableFuture<Object> query = new CompletableFuture<>();
    Thread runner =
        Thread.ofPlatform()
            .name("duckdb-query")
            .start(
                () -> {
                  try {
                    query.complete(DuckDbQuery.run(ctx, DuckDbQuery.heavyQuery(1_000_000), 1));
                  } catch (Throwable t) {
                    query.complete(t);
                  }
                });
    Thread.sleep(500); // let the statement reach native code
    runner.interrupt();
    Thread.sleep(1500);
    assertFalse(query.isDone(), "an interrupt does not reach DuckDB's native query loop");

    long t0 = System.nanoTime();
    ctx.cancel("soft time limit exceeded"); // runs the registered Statement.cancel() hook
    Object result = query.get(30, TimeUnit.SECONDS);
    long cancelMillis = (System.nanoTime() - t0) / 1_000_000;
    System.out.println("duckdb cancel took " + cancelMillis + " ms");
    assertInstanceOf(SQLException.class, result, "the cancelled statement fails");
    assertTrue(cancelMillis < 10_000, "cancel took " + cancelMillis + " ms");
    runner.join(5_000);
    assertFalse(runner.isAlive());
  }
}
