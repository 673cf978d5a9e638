# Asisten Prakerja — the two commands: `make run` and `make test`.
SHELL := /bin/bash
BOT := .venvs/bot/bin
ENGINE := .venvs/engine/bin
export RASA_TELEMETRY_ENABLED := false

.PHONY: run test setup model eval lint bench bench-load bench-broadcast clean

run: setup model ## start the assistant (local sandbox when TELEGRAM_BOT_TOKEN is unset)
	@$(BOT)/python -m ops.run

test: setup model ## set up everything, then run the whole test suite
	@ops/test.sh

setup: ## create or update both virtual environments
	@ops/bootstrap.sh

model: setup ## train the Rasa model when its inputs changed
	@ops/train.sh

eval: model ## NLU: cross-validation on the training data, then the held-out sets (reports/)
	@$(ENGINE)/python ops/nlu_cv.py --train nlu --out reports/nlu-cv
	@for set in blind12 blind11 blind10 blind9 independent heldout; do \
	  printf '\n━━ held-out set tests/nlu/%s.yml (never trained or tuned on)\n' $$set; \
	  $(ENGINE)/python ops/nlu_eval.py --model models/prakerja.tar.gz --train nlu \
	    --test tests/nlu/$$set.yml --out reports/nlu-$$set || exit 1; \
	done
	@for set in blind12 blind11 blind10 blind9; do \
	  printf '\n━━ tests/nlu/%s.yml, only the messages that are not in the training data\n' $$set; \
	  $(ENGINE)/python ops/nlu_eval.py --model models/prakerja.tar.gz --train nlu \
	    --test tests/nlu/$$set.yml --out reports/nlu-$$set-novel --novel-only || exit 1; \
	done

lint: setup ## ruff, mypy and the import rules (import-linter)
	@$(BOT)/ruff check . && $(BOT)/ruff format --check bot core ops sandbox tests && $(BOT)/mypy bot core ops sandbox && $(BOT)/lint-imports

bench: setup model ## reply latency through the Telegram emulator
	@$(BOT)/python -m ops.bench_latency

bench-load: setup model ## open-loop load at rising rates: Rasa alone, then through the emulator
	@$(BOT)/python -m ops.bench_load

bench-broadcast: setup ## broadcast delivery at the emulator's 30/s cap (and paid at 1000/s with 1, 2, 3 senders)
	@$(BOT)/python -m ops.bench_broadcast

clean: ## remove environments, models and runtime state
	rm -rf .venvs models var reports results
