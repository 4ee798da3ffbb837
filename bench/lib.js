'use strict';
const path = require('node:path');
const fs = require('node:fs');

/** Loads a built workspace package; the benches run on the compiled output, as users do. */
function requireDist(pkg) {
  const entry = path.resolve(__dirname, '..', 'packages', pkg, 'dist', 'index.js');
  if (!fs.existsSync(entry)) throw new Error(`missing ${entry}: run "npm run build" first`);
  return require(entry);
}

/** Awaits `fn` `calls` times in a row and returns nanoseconds per call. */
async function measureNsPerCall(fn, calls) {
  for (let i = 0; i < Math.min(calls, 50_000); i++) await fn();
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await fn();
  return Number(process.hrtime.bigint() - started) / calls;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function printTable(title, rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column]).length)));
  const line = (row) => `| ${row.map((cell, column) => String(cell).padEnd(widths[column])).join(' | ')} |`;
  console.log(`\n${title}\n`);
  console.log(line(rows[0]));
  console.log(`| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`);
  for (const row of rows.slice(1)) console.log(line(row));
}

module.exports = { requireDist, measureNsPerCall, median, percentile, printTable };
