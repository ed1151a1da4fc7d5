#!/bin/sh
# Measures the previous deterministic rules (commit f6187f6) with today's
# grammar checker and test forms, for the baseline column of
# docs/evaluation.md "Deterministic drafting". Run from the repository root.
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
git archive f6187f6 | tar -x -C "$dir"
cp server/generate/grammar_test.go "$dir/server/generate/"
cp server/generate/testdata/baseline/baseline_test.go.txt "$dir/server/generate/baseline_test.go"
cp server/generate/testdata/baseline/baseline_gen_test.go.txt "$dir/server/generate/baseline_gen_test.go"
cp -r server/generate/testdata/scenarios "$dir/server/generate/testdata/"
(cd "$dir" && go test -count=1 -run 'TestBaseline' -v ./server/generate/ | grep BASELINE)
