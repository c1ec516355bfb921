import { deepEqual, equal } from "node:assert/strict";
import { UpdateQueue } from "./update_queue.ts";
import type { Ipv4 } from "../wire/ipv4.ts";

const ip = (n: number) => n as Ipv4;

Deno.test("UpdateQueue coalesces repeated addresses and honours the unacked window", () => {
  const q = new UpdateQueue();
  q.enqueue(ip(1));
  q.enqueue(ip(2));
  q.enqueue(ip(1));
  equal(q.waiting, 2);
  const a = q.take(10, 1);
  deepEqual(a, [ip(1), ip(2)]);
  q.sent(7, a);
  q.enqueue(ip(3));
  deepEqual(q.take(10, 1), [], "window of one message is full");
  deepEqual(q.acked(7), [ip(1), ip(2)]);
  deepEqual(q.take(10, 1), [ip(3)]);
});

Deno.test("UpdateQueue requeues in-flight updates after a disconnect", () => {
  const q = new UpdateQueue();
  q.enqueue(ip(5));
  q.sent(1, q.take(10, 4));
  equal(q.idle, false);
  q.requeueInFlight();
  equal(q.inFlight, 0);
  deepEqual(q.take(10, 4), [ip(5)]);
  q.sent(2, [ip(5)]);
  q.acked(2);
  equal(q.idle, true);
  deepEqual(q.acked(99), [], "an unknown xid acks nothing");
});
