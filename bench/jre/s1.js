// The S1 workload on json-rules-engine, for bench/side_by_side.sh.
//
//   node s1.js RULES.jre.json EVENTS.ndjson   runs the rules over the events, prints
//                                             {events, firings, checksum, seconds, ...}
//   node s1.js --checksum FIRINGS.ndjson      the same checksum over Spur's firings
//
// One Engine per event name, as Spur dispatches on the event name: each engine holds the
// rules of one name, so neither engine tests rules an event cannot trigger. Events are
// parsed before timing. The checksum is the sum mod 2^32 of FNV-1a-32 over
// "<event id>\0<rule>" for every firing: order-independent, so it checks the set of
// (event, rule) pairs, not the order of firings.
'use strict';
const fs = require('fs');
const { Engine } = require('json-rules-engine');

function fnv32(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function lines(path) {
  return fs.readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
}

async function runRules(rulesPath, eventsPath) {
  const engines = new Map();
  for (const rule of JSON.parse(fs.readFileSync(rulesPath, 'utf8'))) {
    const name = rule.conditions.all[0].value;
    if (!engines.has(name)) engines.set(name, new Engine([], { allowUndefinedFacts: true }));
    engines.get(name).addRule(rule);
  }
  const events = lines(eventsPath);
  let firings = 0;
  let checksum = 0;
  const start = process.hrtime.bigint();
  for (const e of events) {
    const engine = engines.get(e.event);
    if (!engine) continue;
    const { events: fired } = await engine.run({ event: e.event, ...e.properties });
    for (const f of fired) {
      firings++;
      checksum = (checksum + fnv32(`${e.id}\0${f.type}`)) >>> 0;
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { events: events.length, firings, checksum, seconds, events_per_second: events.length / seconds };
}

function spurChecksum(firingsPath) {
  let firings = 0;
  let checksum = 0;
  for (const f of lines(firingsPath)) {
    firings++;
    checksum = (checksum + fnv32(`${f.trigger}\0${f.rule}`)) >>> 0;
  }
  return { firings, checksum };
}

async function main() {
  const args = process.argv.slice(2);
  const result = args[0] === '--checksum' ? spurChecksum(args[1]) : await runRules(args[0], args[1]);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
