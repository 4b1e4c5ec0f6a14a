"""Plain py-amqp, no framework, no eventlet: publish N persistent messages with confirms awaited
in windows while a plain consumer acknowledges each one; time from first publish to last ack.
The ceiling the product's bus is compared with (bus.raw_events_per_s). Run by benchmarks/bus.py
in a process of its own: `python raw_bus.py AMQP_URI QUEUE_TYPE N BODY_FILE`."""

import json
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import amqp

WINDOW = 500


def connect(uri: str) -> amqp.Connection:
    parts = urlsplit(uri)
    connection = amqp.Connection(
        f"{parts.hostname}:{parts.port or 5672}",
        userid=unquote(parts.username),
        password=unquote(parts.password),
        virtual_host=unquote(parts.path.lstrip("/")),
    )
    connection.connect()
    return connection


def main(uri: str, queue_type: str, count: int, body_file: str) -> None:
    bodies = [line.encode() for line in Path(body_file).read_text(encoding="utf-8").splitlines()]
    queue = f"raw-{queue_type}-{uuid.uuid4().hex[:8]}"
    setup = connect(uri)
    channel = setup.channel()
    channel.exchange_declare("raw.events", "topic", durable=True, auto_delete=False)
    channel.queue_declare(queue, durable=True, auto_delete=False,
                          arguments={"x-queue-type": queue_type})  # fmt: skip
    channel.queue_bind(queue, "raw.events", "labourer_registered")
    done = threading.Event()

    def consume():
        connection = connect(uri)
        consumer = connection.channel()
        consumer.basic_qos(0, 1000, False)
        received = [0]

        def on_message(message):
            consumer.basic_ack(message.delivery_tag)
            received[0] += 1
            if received[0] == count:
                done.set()

        consumer.basic_consume(queue, callback=on_message)
        while not done.is_set():
            connection.drain_events(timeout=30)
        connection.close()

    consumer_thread = threading.Thread(target=consume)
    consumer_thread.start()
    time.sleep(0.5)  # the consumer is attached before the clock starts

    publisher = connect(uri)
    out = publisher.channel()
    out.confirm_select()
    pending = set()

    def settle(tag, multiple):
        for t in [t for t in pending if t <= tag] if multiple else [tag]:
            pending.discard(t)

    out.events["basic_ack"].add(settle)
    started = time.perf_counter()
    for n in range(count):
        out.basic_publish(
            amqp.Message(bodies[n % len(bodies)], delivery_mode=2, content_type="application/json"),
            exchange="raw.events", routing_key="labourer_registered", mandatory=True,
        )  # fmt: skip
        pending.add(n + 1)
        if len(pending) >= WINDOW:
            while pending:
                publisher.drain_events(timeout=30)
    while pending:
        publisher.drain_events(timeout=30)
    published = time.perf_counter() - started
    done.wait(timeout=300)
    elapsed = time.perf_counter() - started
    consumer_thread.join()
    channel.queue_delete(queue)
    setup.close()
    publisher.close()
    print(json.dumps({"publish_seconds": published, "seconds": elapsed, "count": count}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
