package dev.chervil.worker;

/** The worker specification on the embedded broker. */
class MemoryWorkerTest extends WorkerContract {
  @Override
  String brokerUrl() {
    return "memory://";
  }
}
