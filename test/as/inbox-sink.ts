// Test-only replacement of assembly/app/inbox.ts for the MQTT test module
// (test/helpers/mqtt-module.ts swaps it in at compile time): every delivery
// goes straight to the test host through the `test` import module.
@external("test", "message") declare function testMessage(topic: usize, topicLen: i32, payload: usize, payloadLen: i32, nowMs: u32): void;
@external("test", "oversize") declare function testOversize(nowMs: u32): void;

export function onMqttMessage(topic: usize, topicLen: i32, payload: usize, payloadLen: i32, nowMs: u32): void {
  testMessage(topic, topicLen, payload, payloadLen, nowMs);
}

export function onMqttOversize(nowMs: u32): void {
  testOversize(nowMs);
}

export function onMqttPuback(id: i32): void {}
