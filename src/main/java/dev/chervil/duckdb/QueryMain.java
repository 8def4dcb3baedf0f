package dev.chervil.duckdb;

import dev.chervil.task.TaskContext;
import dev.chervil.task.TaskRequest;
import java.util.List;

/**
 * Runs one query and prints its rows: the "fresh subprocess per call" of the demo's naive strategy,
 * which is what timeout-decorator does with a Python function.
 */
public final class QueryMain {
  private QueryMain() {}

  public static void main(String[] args) throws Exception {
    TaskContext ctx =
        new TaskContext(TaskRequest.of("naive", "chervil.duckdb.query", List.of(args[0])));
    System.out.println(DuckDbQuery.run(ctx, args[0], 1));
  }
}
