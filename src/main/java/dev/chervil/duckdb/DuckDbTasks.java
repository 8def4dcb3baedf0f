package dev.chervil.duckdb;

import dev.chervil.task.TaskDefinition;
import dev.chervil.task.TaskModule;
import dev.chervil.task.TaskRegistry;

/** {@code chervil.duckdb.query(sql)}: SQL on an in-memory DuckDB, rows back as lists. */
public final class DuckDbTasks implements TaskModule {
  @Override
  public void register(TaskRegistry registry) {
    registry.register(
        TaskDefinition.named("chervil.duckdb.query")
            .param("sql", String.class)
            .handler((ctx, a) -> DuckDbQuery.run(ctx, (String) a[0], 1)));
  }
}
