package dev.chervil.duckdb;

import dev.chervil.task.TaskContext;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs SQL on an in-memory DuckDB so that a task's soft limit stops it. DuckDB runs a query in
 * native code that never looks at Thread.interrupt(); only {@link Statement#cancel()} reaches it,
 * so the statement is registered as the task's cancel hook while it runs. The hard limit is the
 * pool's business (in the process pool: the child is killed).
 */
public final class DuckDbQuery {
  /** Rows returned at most; a query task is for answers, not for moving tables through a broker. */
  public static final int MAX_ROWS = 10_000;

  private DuckDbQuery() {}

  /** Runs {@code sql} with {@code threads} DuckDB threads, cancelled when {@code ctx} is. */
  public static List<List<Object>> run(TaskContext ctx, String sql, int threads)
      throws SQLException {
    try (Connection connection = DriverManager.getConnection("jdbc:duckdb:");
        Statement statement = connection.createStatement()) {
      statement.execute("SET threads TO " + threads);
      try (TaskContext.Registration cancel = ctx.onCancel(statement::cancel)) {
        ctx.checkCancelled();
        try (ResultSet rows = statement.executeQuery(sql)) {
          return collect(rows);
        }
      }
    }
  }

  private static List<List<Object>> collect(ResultSet rs) throws SQLException {
    ResultSetMetaData meta = rs.getMetaData();
    List<List<Object>> rows = new ArrayList<>();
    while (rows.size() < MAX_ROWS && rs.next()) {
      List<Object> row = new ArrayList<>(meta.getColumnCount());
      for (int c = 1; c <= meta.getColumnCount(); c++) {
        Object v = rs.getObject(c);
        row.add(
            v instanceof Number || v instanceof Boolean || v instanceof String || v == null
                ? v
                : v.toString());
      }
      rows.add(row);
    }
    return rows;
  }

  /**
   * A query whose cost grows with the square of {@code rows}: the demo's stand-in for a report that
   * overruns its time limit.
   */
  public static String heavyQuery(long rows) {
    return "SELECT count(*) FROM range("
        + rows
        + ") a, range("
        + rows
        + ") b "
        + "WHERE hash(a.range * 31 + b.range) % 1000 = 7";
  }
}
