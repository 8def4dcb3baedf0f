package dev.chervil.pool.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.census.Census;
import dev.chervil.task.Outcome;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The basics of the process pool on real child JVMs. */
class ProcessPoolTest extends ProcessPoolFixture {

  @Test
  void runsTasksInChildJvmsAndKeepsTheirResults() throws Exception {
    startPool();
    Outcome o = run("chervil.debug.echo", List.of(1, "two", List.of(3)), null, null);
    assertEquals(List.of(1, "two", List.of(3)), ((Outcome.Ok) o).result());
    assertEquals(pool.expectedChildren(), Census.take(pool).children());
    assertEquals(SIZE + 1, pool.ownedChildPids().size());
    assertCensusAtBaseline();
  }

  /** The message body as it arrived goes to the child as it is; the child binds from it. */
  @Test
  void theRawBodyIsWhatTheChildDecodesAndBinds() throws Exception {
    startPool();
    byte[] body =
        "[[1, \"two\"], {}, {\"callbacks\": null, \"chain\": null}]"
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    // The decoded args say otherwise: the child must have used the body.
    var request = request("chervil.debug.echo", List.of("not", "these"), null, null).withBody(body);
    Outcome o = pool.submit(request).get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(List.of(1, "two"), ((Outcome.Ok) o).result());
    var sleep = request("chervil.debug.sleep", List.of(), null, null);
    byte[] kwargs =
        "[[], {\"seconds\": 0.01}, {}]".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Outcome slept =
        pool.submit(sleep.withBody(kwargs))
            .get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(new Outcome.Ok(0.01), slept, "kwargs from the body are bound in the child");
    assertCensusAtBaseline();
  }

  /** A result Jackson cannot write: the child stays up and the task is Celery's EncodeError. */
  @Test
  void aResultThatCannotBeEncodedIsAnEncodeErrorNotALostChild() throws Exception {
    startPool();
    var before = pool.ownedChildPids();
    Outcome o = run("chervil.debug.unencodable", List.of(), null, null);
    Outcome.Failed f = assertInstanceOf(Outcome.Failed.class, o);
    assertEquals("EncodeError", f.error().type());
    assertEquals("kombu.exceptions", f.error().module());
    assertEquals(before, pool.ownedChildPids(), "no child was lost or replaced");
    assertInstanceOf(Outcome.Ok.class, run("chervil.debug.noop", List.of(), null, null));
    assertCensusAtBaseline();
  }

  @Test
  void aFailingTaskReportsItsExceptionType() throws Exception {
    startPool();
    Outcome o = run("chervil.debug.fail", List.of("boom"), null, null);
    Outcome.Failed f = assertInstanceOf(Outcome.Failed.class, o);
    assertEquals("IllegalStateException", f.error().type());
    assertEquals("boom", f.error().message());
    assertCensusAtBaseline();
  }

  @Test
  void softLimitReachesTheTaskInTheChild() throws Exception {
    startPool();
    Outcome o = run("chervil.debug.sleep", List.of(30), 0.3, null);
    Outcome.SoftTimedOut s = assertInstanceOf(Outcome.SoftTimedOut.class, o);
    assertEquals("SoftTimeLimitExceeded", s.error().type());
    assertCensusAtBaseline();
  }

  /**
   * A child runs its tasks on two threads that take turns reading the channel: the soft limit must
   * reach the task whichever thread runs it, and must not reach the task after it.
   */
  @Test
  void softLimitReachesEachTaskOfAChildAndNoneAfterIt() throws Exception {
    startPool();
    var children = pool.ownedChildPids();
    for (int i = 0; i < 4; i++) {
      Outcome limited = run("chervil.debug.sleep", List.of(30), 0.2, null);
      assertInstanceOf(Outcome.SoftTimedOut.class, limited, "task " + i);
      Outcome next = run("chervil.debug.sleep", List.of(0.05), null, null);
      assertEquals(new Outcome.Ok(0.05), next, "the task after a soft limit, round " + i);
    }
    assertEquals(children, pool.ownedChildPids(), "a soft limit costs no child");
    assertCensusAtBaseline();
  }

  @Test
  void hardLimitKillsAStuckChildAndTheSlotGetsANewOne() throws Exception {
    startPool();
    var before = pool.ownedChildPids();
    long t0 = System.nanoTime();
    Outcome o = run("chervil.debug.spin", List.of(60), null, 0.3);
    assertInstanceOf(Outcome.HardKilled.class, o);
    assertTrue((System.nanoTime() - t0) / 1e9 < 30, "settled long before the spin would end");
    assertEquals("TimeLimitExceeded", ((Outcome.HardKilled) o).error().type());
    assertInstanceOf(Outcome.Ok.class, run("chervil.debug.noop", List.of(), null, null));
    assertCensusAtBaseline();
    assertTrue(!pool.ownedChildPids().equals(before), "the killed child was replaced");
  }
}
