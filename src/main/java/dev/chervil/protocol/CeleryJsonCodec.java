package dev.chervil.protocol;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The one JSON codec: {@link TaskMessage} to and from {@link WireMessage}, and result meta dicts.
 * Pickle and every other non-JSON content type are refused, never deserialized.
 */
public final class CeleryJsonCodec {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** The shared mapper, for code that converts JSON values (argument binding, child frames). */
  public static ObjectMapper mapper() {
    return MAPPER;
  }
  // Encoding/decoding: implemented in the protocol change.
}
