#!/usr/bin/env bash
# `npm test`: the README's test command. Runs every check one at a time, so that one failure does not
# hide the others:
#   build, lint (eslint, type-aware), format (prettier --check), typecheck (tsc over the tests too),
#   api (core's public API against packages/core/api), jest's unit project, jest's e2e project (skipped
#   when the build failed: it drives the built bin/mc)
# Each step prints `ci: STEP ok|FAILED (exit N), S s`; the last line is one line from jest's own JSON,
# summing both projects:
#   tests: N passed, N failed[, N skipped]
# The exit status is non-zero when any step failed (lint and type errors included), a test failed, or
# jest produced no result at all.
#   npm test -- STEP...   runs only the steps named (e.g. `npm test -- build lint typecheck unit` while the
#                         machine is busy); the tests line then sums the jest projects that ran.
set -uo pipefail
cd "$(dirname "$0")/.."
rm -f .jest-results.json .jest-results.unit.json .jest-results.e2e.json
only=("$@")
failed=()
# step NAME COMMAND...: run it (unless other steps were named), say how it went and how long it took,
# remember a failure
step() {
  local name=$1 start=$SECONDS rc=0
  shift
  if [ ${#only[@]} -gt 0 ] && [[ " ${only[*]} " != *" $name "* ]]; then return 0; fi
  echo "ci: $name: $*"
  "$@" || rc=$?
  if [ $rc -eq 0 ]; then
    echo "ci: $name ok, $((SECONDS - start)) s"
  else
    echo "ci: $name FAILED (exit $rc), $((SECONDS - start)) s" >&2
    failed+=("$name")
  fi
  return $rc
}
# two jest workers: on a 2-core machine jest's default is one (cores - 1), and the e2e tests spend much of
# their time waiting on the processes they start (unit 172 s -> 83 s, e2e 1028 s -> 682 s measured here)
jest=(node --experimental-vm-modules --no-warnings node_modules/jest/bin/jest.js --maxWorkers=2)

built=0
step build npm run build || built=$?
step lint npm run lint
step format npm run format:check
step typecheck npm run typecheck
if [ $built -eq 0 ]; then
  step api npm run --silent api:check # core's public API must match packages/core/api (README "Public API")
else
  echo "ci: api not run: the build failed" >&2
fi
step unit "${jest[@]}" --selectProjects unit --json --outputFile=.jest-results.unit.json
if [ $built -eq 0 ]; then
  step e2e "${jest[@]}" --selectProjects e2e --json --outputFile=.jest-results.e2e.json
else
  echo "ci: e2e not run: the build failed" >&2
fi

[ ${#failed[@]} -eq 0 ] || echo "ci: failed steps: ${failed[*]}" >&2
projects=()
for p in unit e2e; do
  if [ ${#only[@]} -eq 0 ] || [[ " ${only[*]} " == *" $p "* ]]; then projects+=("$p=.jest-results.$p.json"); fi
done
summary=0
[ ${#projects[@]} -eq 0 ] || node .ci/summarize.mjs "${projects[@]}" || summary=$?
[ ${#failed[@]} -eq 0 ] || exit 1
exit $summary
