# tests/stepwise.mk - `msmigrate run --stepwise` (docs/stepwise.md)
INTEGRATION_TESTS += tests/integration/run-stepwise.sh
