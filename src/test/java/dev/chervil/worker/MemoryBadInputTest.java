package dev.chervil.worker;

/** The worker specification on the embedded broker. */
class MemoryBadInputTest extends BadInputContract {
  @Override
  String brokerUrl() {
    return "memory://";
  }
}
