"""The per-account background job framework: locks, run bookkeeping, the task base, fan-out.

Dependency direction (tests/test_import_rules.py checks it):

    devices ──> jobs ──> accounts          (and devices ──> accounts)

- `accounts` imports neither `jobs` nor `devices`. It owns the data (`LinkedAccount`, `TaskRun`,
  `JobKind`) and the services (token refresh, linking); when it wants a job queued (a Resync, a
  new link) it sends `accounts.signals.job_requested`, which this app answers.
- `jobs` imports `accounts` (to load the account, mark it for relink, record runs) and never
  `devices` or `realtime`. Apps register their jobs here (`jobs.base.account_job`, which fills
  `jobs.registry`) from their own `tasks` module; the token refresh lives in `jobs.tasks`
  because accounts cannot import jobs.
- `devices` registers its jobs (firmware, history, messages, full sync) in `devices/tasks.py`.

`TaskRun` (the last run of each job per account) and `JobKind` (the job names, its `task`
choices) stay in accounts: a run belongs to its account (deleted and moved with it, shown on
its page), and accounts' own pages read runs without importing jobs (`accounts.job_runs`).
This app writes them (`jobs.runs`) and validates every registered job against `JobKind`.
"""
