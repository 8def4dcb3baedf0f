package dev.chervil.demo;

import java.time.Duration;
import java.util.List;

/**
 * @param brokerUrl null for the embedded broker
 * @param rows DUCKDB_ROWS: the query scans rows × rows pairs
 * @param timeout DUCKDB_TIMEOUT: the time limit each query overruns
 * @param queue TARGET_QUEUES: the queue the workers consume and the producer sends to
 */
public record DemoSettings(
    String brokerUrl,
    int iterations,
    long rows,
    Duration timeout,
    String queue,
    List<String> strategies) {}
