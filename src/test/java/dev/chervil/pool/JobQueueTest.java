package dev.chervil.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.task.Outcome;
import dev.chervil.task.TaskRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class JobQueueTest {
  final JobQueue jobs = new JobQueue("test");

  static TaskRequest request(String id) {
    return TaskRequest.of(id, "t", List.of());
  }

  @Test
  void takesTasksOnlyWhileRunning() {
    assertThrows(IllegalStateException.class, () -> jobs.submit(request("early")));
    assertTrue(jobs.open());
    assertFalse(jobs.open(), "opens once");
    jobs.submit(request("a"));
    jobs.drain(Duration.ZERO);
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> jobs.submit(request("late")));
    assertTrue(e.getMessage().contains("DRAINING"), e.getMessage());
  }

  @Test
  void drainWaitsForQueuedAndRunningJobs() throws Exception {
    jobs.open();
    CompletableFuture<Outcome> result = jobs.submit(request("a"));
    assertFalse(jobs.drain(Duration.ofMillis(50)), "queued");
    JobQueue.Job job = jobs.take();
    assertEquals("a", job.request().id());
    assertFalse(jobs.drain(Duration.ofMillis(50)), "running");
    job.result().complete(new Outcome.Ok(1));
    assertTrue(jobs.drain(Duration.ofSeconds(1)));
    assertEquals(new Outcome.Ok(1), result.get());
    assertNull(jobs.take(), "nothing left");
  }

  @Test
  void closeOnceAndQueuedJobsAreSettledAsLost() throws Exception {
    jobs.open();
    CompletableFuture<Outcome> result = jobs.submit(request("never-ran"));
    assertTrue(jobs.close());
    assertFalse(jobs.close(), "closes once");
    jobs.failQueued();
    Outcome.Lost lost = assertInstanceOf(Outcome.Lost.class, result.get());
    assertTrue(lost.reason().contains("never-ran"), lost.reason());
  }

  @Test
  void aRetirementIsTakenAheadOfQueuedTasksAndNeverCountsAsRunning() throws Exception {
    jobs.open();
    CompletableFuture<Outcome> queued = jobs.submit(request("queued"));
    jobs.retireSlots(1);
    assertTrue(jobs.take().retiresSlot(), "ahead of the task queued before it");
    assertEquals("queued", jobs.take().request().id());
    jobs.retireSlots(1);
    assertTrue(jobs.takeBlocking().retiresSlot());
    jobs.retireSlots(1);
    assertTrue(jobs.close());
    jobs.failQueued(); // a retirement left behind is dropped, not settled
    assertFalse(queued.isDone(), "the taken task is still running");
  }
}
