'use strict';
/*
 * Supply-chain check of CI: `npm audit --omit=dev --audit-level=high`. Fails on any high or critical advisory of
 * a runtime dependency. When npm's advisory service cannot be reached at all (some registry mirrors and proxies
 * answer 405 to it), it says so loudly and does not fail: that is a fact about the network, not the dependencies.
 */
const { spawnSync } = require('node:child_process');

const run = spawnSync('npm', ['audit', '--omit=dev', '--audit-level=high', '--json'], { encoding: 'utf8' });
let report;
try {
  report = JSON.parse(run.stdout);
} catch {
  report = undefined;
}
const counts = report && report.metadata && report.metadata.vulnerabilities;
if (counts !== undefined) {
  const summary = ['critical', 'high', 'moderate', 'low']
    .map((level) => `${counts[level] ?? 0} ${level}`)
    .join(', ');
  process.stdout.write(`npm audit (runtime dependencies): ${summary}\n`);
  if ((counts.critical ?? 0) + (counts.high ?? 0) > 0) {
    process.stdout.write(`${run.stdout}\n`);
    process.exitCode = 1;
  }
} else if (
  report &&
  typeof report.statusCode === 'number' &&
  report.uri &&
  report.uri.includes('/-/npm/v1/security/')
) {
  process.stdout.write(
    `npm audit: NOT RUN. The advisory service answered HTTP ${report.statusCode} at ${report.uri}; ` +
      'no finding could be checked from this network.\n',
  );
} else if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT/.test(`${run.stdout}${run.stderr}`)) {
  process.stdout.write('npm audit: NOT RUN. The advisory service could not be reached from this network.\n');
} else {
  process.stdout.write(`${run.stdout}${run.stderr}\n`);
  process.stdout.write(`npm audit failed in an unexpected way (exit ${run.status}).\n`);
  process.exitCode = 1;
}
