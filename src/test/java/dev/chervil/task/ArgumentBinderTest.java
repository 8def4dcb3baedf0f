package dev.chervil.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.chervil.debug.DebugTasks;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Binding as Python binds a call: {@code f(*args)}, {@code f(x)}, {@code f(x, **kw)}. */
class ArgumentBinderTest {
  private static final TaskDefinition STAR_ARGS =
      TaskDefinition.named("echo").varArgs().handler((ctx, a) -> null);
  private static final TaskDefinition STAR_BOTH =
      TaskDefinition.named("anything").varArgs().varKwargs().handler((ctx, a) -> null);
  private static final TaskDefinition ONE =
      TaskDefinition.named("one").param("x", Object.class).handler((ctx, a) -> null);
  private static final TaskDefinition ONE_KW =
      TaskDefinition.named("one_kw").param("x", Object.class).varKwargs().handler((ctx, a) -> null);

  @Test
  void anUnexpectedKeywordIsATypeErrorUnlessTheTaskTakesKwargs() throws Exception {
    ArgumentMismatchException e =
        assertThrows(
            ArgumentMismatchException.class,
            () -> ArgumentBinder.bind(STAR_ARGS, List.of(1), Map.of("k", 2)));
    assertEquals("echo() got an unexpected keyword argument 'k'", e.getMessage());
    assertThrows(
        ArgumentMismatchException.class,
        () -> ArgumentBinder.bind(ONE, List.of(1), Map.of("k", 2)));
    assertArrayEquals(new Object[] {1}, ArgumentBinder.bind(STAR_BOTH, List.of(1), Map.of("k", 2)));
    assertArrayEquals(new Object[] {1}, ArgumentBinder.bind(ONE_KW, List.of(1), Map.of("k", 2)));
    assertArrayEquals(new Object[] {1}, ArgumentBinder.bind(ONE_KW, List.of(), Map.of("x", 1)));
  }

  @Test
  void noneIsAnArgumentLikeAnyOther() throws Exception {
    List<Object> args = Arrays.asList(1, null);
    assertArrayEquals(new Object[] {1, null}, ArgumentBinder.bind(STAR_ARGS, args, Map.of()));
    assertArrayEquals(
        new Object[] {null}, ArgumentBinder.bind(ONE, Arrays.asList((Object) null), Map.of()));
  }

  /** Issue 13.1: echo(None) and echo(1, None) came back as NullPointerException. */
  @Test
  void theDebugEchoReturnsNoneArgumentsUnchanged() {
    TaskRunner runner = new TaskRunner(new TaskRegistry().register(new DebugTasks()));
    for (List<Object> args :
        List.<List<Object>>of(Arrays.asList((Object) null), Arrays.asList(1, null))) {
      Outcome o =
          runner.run(new TaskContext(TaskRequest.of("t-" + args, "chervil.debug.echo", args)));
      assertEquals(new Outcome.Ok(args), o);
    }
  }
}
