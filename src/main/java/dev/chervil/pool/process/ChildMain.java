package dev.chervil.pool.process;

import dev.chervil.Chervil;
import dev.chervil.os.Posix;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.task.Outcome;
import dev.chervil.task.TaskContext;
import dev.chervil.task.TaskDefinition;
import dev.chervil.task.TaskRegistry;
import dev.chervil.task.TaskRequest;
import dev.chervil.task.TaskRunner;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The entry point of a process-pool child JVM. It leads its own session (so the supervisor can kill
 * its whole tree), loads the same tasks as the worker, says {@code ready}, then runs one task at a
 * time: the main thread reads frames, the task runs on its own thread so a {@code cancel} frame can
 * reach it. End of input means the supervisor is done with this child: it exits.
 *
 * <p>Arguments: {@code [--debug-tasks] [--module <TaskModule class>]...}.
 */
public final class ChildMain {
  /** Test-only: sleep a random 0..N ms before the handshake, to shuffle recycling. */
  static final String START_DELAY_PROPERTY = "chervil.test.childStartDelayMaxMs";

  private final TaskRunner runner;
  private final FrameChannel channel;
  private volatile TaskContext current;

  private ChildMain(TaskRunner runner, FrameChannel channel) {
    this.runner = runner;
    this.channel = channel;
  }

  public static void main(String[] args) throws Exception {
    PrintStream frames = System.out;
    System.setOut(System.err); // a task's println must never land on the frame channel
    long sid = Posix.setsid();
    long delay = Long.getLong(START_DELAY_PROPERTY, 0);
    if (delay > 0) {
      Thread.sleep(ThreadLocalRandom.current().nextLong(delay + 1));
    }
    TaskRunner runner = new TaskRunner(Chervil.registry(spec(args)));
    warmUp();
    FrameChannel channel = new FrameChannel(System.in, frames);
    channel.write(Frames.ready(Posix.getpid(), sid));
    new ChildMain(runner, channel).serve();
    System.exit(0); // a task thread that ignored its cancel must not keep the JVM alive
  }

  private void serve() throws IOException {
    Map<String, Object> frame;
    while ((frame = channel.read()) != null) {
      switch ((String) frame.get("type")) {
        case "run" -> start(Frames.request(frame));
        case "cancel" -> {
          TaskContext ctx = current;
          if (ctx != null && ctx.id().equals(frame.get("id"))) {
            ctx.cancel((String) frame.get("reason"));
          }
        }
        default -> System.err.println("chervil child: unknown frame " + frame.get("type"));
      }
    }
  }

  private void start(TaskRequest request) {
    TaskContext ctx = new TaskContext(request);
    current = ctx;
    Thread.ofPlatform()
        .name("chervil-child-task")
        .daemon(true)
        .start(
            () -> {
              Outcome outcome = runner.run(ctx);
              current = null;
              try {
                channel.write(Frames.result(request.id(), outcome));
              } catch (IOException e) {
                System.exit(0); // the supervisor is gone: nobody to report to
              }
            });
  }

  /**
   * Takes one task through the whole path in memory (run frame encoded and decoded, task run,
   * result encoded) before saying ready. A child often starts as the warm spare; this way its first
   * real task does not pay for class loading and the codec's first use (~50 ms measured).
   */
  private static void warmUp() throws IOException {
    TaskRunner runner =
        new TaskRunner(
            new TaskRegistry()
                .register(
                    TaskDefinition.named("chervil.child.warm_up")
                        .varArgs()
                        .handler((ctx, a) -> List.of(a))));
    ByteArrayOutputStream written = new ByteArrayOutputStream();
    FrameChannel out = new FrameChannel(InputStream.nullInputStream(), written);
    out.write(Frames.run(TaskRequest.of("warm-up", "chervil.child.warm_up", List.of(1, "two"))));
    FrameChannel in =
        new FrameChannel(
            new ByteArrayInputStream(written.toByteArray()), OutputStream.nullOutputStream());
    TaskRequest request = Frames.request(in.read());
    out.write(Frames.result(request.id(), runner.run(new TaskContext(request))));
  }

  private static PoolSpec spec(String[] args) {
    boolean debugTasks = false;
    List<String> modules = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--debug-tasks" -> debugTasks = true;
        case "--module" -> modules.add(args[++i]);
        default -> throw new IllegalArgumentException("unknown child argument " + args[i]);
      }
    }
    return new PoolSpec(PoolKind.PROCESSES, 1, modules, debugTasks, false, null, null);
  }
}
