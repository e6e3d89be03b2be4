# Frontline — what a designer or operator runs. `make help` lists the targets.
PY      := .venv/bin/python
RASA    := .venv/bin/rasa
EVAL    ?=
SETUP   := .venv/.requirements.sha

.PHONY: help setup train demo production chat wechat-sim test test-fast validate eval eval-emotion eval-conversations chaos soak migrate scale-test clean

help:
	@echo "make demo      run the whole system with embedded defaults (SQLite, embedded Redis)"
	@echo "make test      run every test (trains the model first if it is out of date)"
	@echo "make train     train the assistant when its data changed (models/frontline.tar.gz)"
	@echo "make validate  check domain, NLU data, stories and flows"
	@echo "make eval      NLU report on the held-out split; add EVAL=path.tsv for an external set"
	@echo "make eval-conversations  play tests/conversations/ on a fresh stack; pass rate per category and language"
	@echo "make production  run for a shop: FRONTLINE_ENV=production, no demo data, secrets checked (docs/operations.md)"
	@echo "make migrate   upgrade every schema once (before replicas start; docs/operations.md: Scaling out)"
	@echo "make scale-test  two replicas of each process behind nginx, one of each killed mid-run"
	@echo "make chat      talk to the running demo in this terminal"
	@echo "make wechat-sim  talk to the running demo as a WeChat user (signed, AES safe mode)"
	@echo "make chaos     live handoffs while every process and Redis is killed in turn; counts losses"
	@echo "make soak      10 minutes of 16 conversations with handoffs: errors, memory, queue lag"

setup: $(SETUP)
$(SETUP): requirements.txt scripts/setup.sh
	@bash scripts/setup.sh

train: setup
	@$(PY) -m scripts.train

demo: train
	@$(PY) -m scripts.stack demo

production: train
	@$(PY) -m scripts.production $(ARGS)

migrate: setup
	@$(PY) -m scripts.migrate

scale-test: train
	@bash scripts/setup.sh --nginx
	@$(PY) -m scripts.scale_test $(ARGS)

chat: setup
	@$(PY) -m scripts.chat

wechat-sim: setup
	@$(PY) -m scripts.stack wechat-sim

validate: setup
	$(PY) -m scripts.validate_data
	$(PY) scripts/validate_flows.py

test: train
	@bash scripts/setup.sh --browser --nginx
	$(PY) -m pytest -q -p no:cacheprovider
	$(RASA) test core --stories tests/test_stories.yml --model models/frontline.tar.gz \
	  --endpoints endpoints.test.yml --out reports/core --fail-on-prediction-errors

test-fast: setup
	$(PY) -m pytest -q -m "not e2e"

eval: train
	$(PY) -m scripts.eval_nlu --holdout tests/nlu_holdout $(if $(EVAL),--external $(EVAL)) --out reports/nlu

eval-emotion: setup
	$(PY) scripts/eval_emotion.py $(if $(EVAL),--eval $(EVAL))

chaos: train
	$(PY) -m bench.chaos

soak: train
	$(PY) -m bench.soak

eval-conversations: train
	$(PY) -m scripts.eval_conversations --out reports/conversations

clean:
	rm -rf models reports var .pytest_cache
