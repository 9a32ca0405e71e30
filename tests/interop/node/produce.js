#!/usr/bin/env node
// kafkajs 2.2.4 producer for the interop tests (kafkajs's consumer always joins a group, so it only produces).
//
//   node produce.js --brokers B --topic T --partition P --n N --src NAME [--start I] [--compression none|gzip]
//
// Writes records start..start+n-1 of the shared interop data set (tests/interop/dataset.py) to one partition,
// idempotent (acks=all, one request in flight), and prints {"produced":N}. Exits 1 on any error.
'use strict';
const { Kafka, CompressionTypes, logLevel } = require('kafkajs');

function parseArgs(argv) {
  const opts = { brokers: '127.0.0.1:9092', topic: '', partition: 0, n: 1000, start: 0, src: 'kafkajs',
                 compression: 'none', batch: 1000 };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '');
    if (!(k in opts) || i + 1 >= argv.length) throw new Error(`bad argument ${argv[i]}`);
    opts[k] = typeof opts[k] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
  }
  return opts;
}

// Record i of the data set produced by `src` (must match dataset.py's record()).
function record(src, i, partition) {
  const pad = String(i).padStart(6, '0');
  const h = ((i * 2654435761) % 4294967296).toString(16).padStart(8, '0');
  return { key: `key-${pad}`, value: `value-${pad}-` + h.repeat(8), partition,
           headers: { src, seq: String(i) } };
}

const CODECS = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP };

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!(o.compression in CODECS)) throw new Error(`kafkajs has no built-in ${o.compression} codec`);
  const kafka = new Kafka({ clientId: 'gregor-interop-kafkajs', brokers: o.brokers.split(','),
                            logLevel: logLevel.ERROR, retry: { retries: 5 } });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = o.start; i < o.start + o.n; i += o.batch) {
      const messages = [];
      for (let j = i; j < Math.min(i + o.batch, o.start + o.n); j++) messages.push(record(o.src, j, o.partition));
      await producer.send({ topic: o.topic, acks: -1, compression: CODECS[o.compression], messages });
    }
  } finally {
    await producer.disconnect();
  }
  console.log(JSON.stringify({ produced: o.n }));
}

main().catch((e) => {
  console.error(`kafkajs produce: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
