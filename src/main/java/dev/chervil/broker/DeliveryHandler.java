package dev.chervil.broker;

@FunctionalInterface
public interface DeliveryHandler {
  void handle(Delivery delivery);
}
