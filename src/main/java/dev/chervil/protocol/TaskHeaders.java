package dev.chervil.protocol;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

/**
 * The protocol v2 headers of a task message. Timestamps are ISO-8601 on the wire; {@code extra}
 * keeps headers this version does not model so a message can be forwarded unchanged.
 */
public record TaskHeaders(
    String lang,
    String task,
    String id,
    String shadow,
    OffsetDateTime eta,
    OffsetDateTime expires,
    String group,
    Integer groupIndex,
    int retries,
    TimeLimit timelimit,
    String rootId,
    String parentId,
    String argsrepr,
    String kwargsrepr,
    String origin,
    boolean ignoreResult,
    Integer replacedTaskNesting,
    List<String> stampedHeaders,
    Map<String, Object> stamps,
    Map<String, Object> extra) {

  public TaskHeaders {
    timelimit = timelimit == null ? TimeLimit.NONE : timelimit;
    extra = Values.map(extra);
  }

  public static Builder builder(String task, String id) {
    return new Builder(task, id);
  }

  public Builder toBuilder() {
    Builder b = new Builder(task, id);
    b.lang = lang;
    b.shadow = shadow;
    b.eta = eta;
    b.expires = expires;
    b.group = group;
    b.groupIndex = groupIndex;
    b.retries = retries;
    b.timelimit = timelimit;
    b.rootId = rootId;
    b.parentId = parentId;
    b.argsrepr = argsrepr;
    b.kwargsrepr = kwargsrepr;
    b.origin = origin;
    b.ignoreResult = ignoreResult;
    b.replacedTaskNesting = replacedTaskNesting;
    b.stampedHeaders = stampedHeaders;
    b.stamps = stamps;
    b.extra = extra;
    return b;
  }

  /**
   * Mutable assembly of headers; {@code lang} defaults to "py" because that is what peers expect.
   */
  public static final class Builder {
    private final String task;
    private final String id;
    private String lang = "py";
    private String shadow;
    private OffsetDateTime eta;
    private OffsetDateTime expires;
    private String group;
    private Integer groupIndex;
    private int retries;
    private TimeLimit timelimit = TimeLimit.NONE;
    private String rootId;
    private String parentId;
    private String argsrepr;
    private String kwargsrepr;
    private String origin;
    private boolean ignoreResult;
    private Integer replacedTaskNesting;
    private List<String> stampedHeaders;
    private Map<String, Object> stamps;
    private Map<String, Object> extra;

    private Builder(String task, String id) {
      this.task = task;
      this.id = id;
    }

    public Builder lang(String v) {
      lang = v;
      return this;
    }

    public Builder shadow(String v) {
      shadow = v;
      return this;
    }

    public Builder eta(OffsetDateTime v) {
      eta = v;
      return this;
    }

    public Builder expires(OffsetDateTime v) {
      expires = v;
      return this;
    }

    public Builder group(String v) {
      group = v;
      return this;
    }

    public Builder groupIndex(Integer v) {
      groupIndex = v;
      return this;
    }

    public Builder retries(int v) {
      retries = v;
      return this;
    }

    public Builder timelimit(TimeLimit v) {
      timelimit = v;
      return this;
    }

    public Builder rootId(String v) {
      rootId = v;
      return this;
    }

    public Builder parentId(String v) {
      parentId = v;
      return this;
    }

    public Builder argsrepr(String v) {
      argsrepr = v;
      return this;
    }

    public Builder kwargsrepr(String v) {
      kwargsrepr = v;
      return this;
    }

    public Builder origin(String v) {
      origin = v;
      return this;
    }

    public Builder ignoreResult(boolean v) {
      ignoreResult = v;
      return this;
    }

    public Builder replacedTaskNesting(Integer v) {
      replacedTaskNesting = v;
      return this;
    }

    public Builder stampedHeaders(List<String> v) {
      stampedHeaders = v;
      return this;
    }

    public Builder stamps(Map<String, Object> v) {
      stamps = v;
      return this;
    }

    public Builder extra(Map<String, Object> v) {
      extra = v;
      return this;
    }

    public TaskHeaders build() {
      return new TaskHeaders(
          lang,
          task,
          id,
          shadow,
          eta,
          expires,
          group,
          groupIndex,
          retries,
          timelimit,
          rootId,
          parentId,
          argsrepr,
          kwargsrepr,
          origin,
          ignoreResult,
          replacedTaskNesting,
          stampedHeaders,
          stamps,
          extra);
    }
  }
}
