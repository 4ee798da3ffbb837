'use strict';
// `npm run bench`: every benchmark in this folder, each printing its figures next to the plain alternative.
const fs = require('node:fs');
const path = require('node:path');

async function main() {
  const only = process.argv.slice(2);
  const benches = fs
    .readdirSync(__dirname)
    .filter((file) => file.endsWith('.bench.js'))
    .filter((file) => only.length === 0 || only.some((name) => file.includes(name)))
    .sort();
  for (const file of benches) {
    console.log(`\n=== ${file} ===`);
    const run = require(path.join(__dirname, file));
    if (typeof run === 'function') await run();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
