"""`tower` keeps the exit codes of docs/tower.md: 0 answer, 2 bad usage, 1 failure."""

import duckdb
import pytest

from orchestration.cli import cycle_key, main


def test_bad_usage_exits_2(capsys):
    assert main(["no-such-command"]) == 2
    assert "No such command 'no-such-command'" in capsys.readouterr().err
    assert main([]) == 2
    assert main(["run", "--no-such-option"]) == 2
    assert main(["ask"]) == 2
    assert main(["ask", "availability"]) == 2          # ITEM is required
    assert main(["ask", "chase", "--limit", "0"]) == 2
    assert main(["ui", "--port", "not-a-port"]) == 2


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "tower" in out
    for command in ("run", "sop-cycle", "prepare", "ui", "ask", "kpi"):
        assert command in out
    assert main(["ask", "--help"]) == 0
    assert "why-late" in capsys.readouterr().out


@pytest.mark.parametrize("given, key", [("2026-10", "2026-10"), ("2026-10-01", "2026-10"),
                                        (None, None)])
def test_a_cycle_is_passed_on_as_yyyy_mm(given, key):
    assert cycle_key(given) == key


@pytest.mark.parametrize("cycle", ["2026-13", "2026-10-15", "Oct 2026", "2026"])
def test_a_cycle_that_is_not_a_month_exits_2(cycle, capsys):
    assert main(["sop-cycle", "--cycle", cycle]) == 2
    assert "--cycle" in capsys.readouterr().err


def test_a_kpi_month_that_is_not_a_month_exits_2(capsys):
    assert main(["kpi", "--month", "2026-13"]) == 2
    assert "--month" in capsys.readouterr().err


def test_an_sop_cycle_on_an_empty_data_dir_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    assert main(["sop-cycle", "--cycle", "2019-01"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no warehouse at" in err and "tower run" in err
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_run_without_a_landing_zone_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CT_LANDING_DIR", str(tmp_path / "nowhere"))
    assert main(["run", "--no-simulate"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"no landing zone at {tmp_path / 'nowhere'}" in err


def test_questions_without_a_published_warehouse_exit_1(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CT_DATA_DIR", str(tmp_path))
    for argv in (["ask", "availability", "FG-1"], ["ask", "why-late", "SO-1"],
                 ["ask", "last-order", "C1"], ["ask", "chase"], ["kpi"]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert err == (f"error: no published warehouse at "
                       f"{tmp_path / 'published' / 'warehouse.duckdb'}: run `make run` first\n")


def test_a_locked_warehouse_is_named_with_its_holder(tmp_path, monkeypatch):
    """The lock message comes from another process: DuckDB only locks across processes."""
    import subprocess
    import sys

    warehouse = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('held', flush=True); time.sleep(60)", str(warehouse)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        from orchestration.cli import _warehouse_error
        from orchestration.settings import load_settings

        with pytest.raises(duckdb.IOException) as exc:
            duckdb.connect(str(warehouse))
        line = _warehouse_error(load_settings({"CT_DATA_DIR": str(tmp_path)}), exc.value)
        assert line == (f"the warehouse {warehouse} is in use by another process "
                              f"(pid {holder.pid}): wait for it or stop it")
    finally:
        holder.kill()
        holder.wait()


class _Summary:
    def as_dict(self):
        return {"loaded": [], "failures": []}


def test_run_passes_its_options_to_the_runner(tmp_path, monkeypatch, capsys):
    import orchestration.runner as runner
    from orchestration.runner import RunOutcome

    calls = []

    def run_core(settings, **kwargs):
        calls.append((settings.data_dir, kwargs))
        return RunOutcome(success=kwargs["tier"] != "fails", summary=_Summary(), seconds=1.0)

    monkeypatch.setenv("CT_DATA_DIR", str(tmp_path))
    (tmp_path / "landing").mkdir()
    monkeypatch.setattr(runner, "run_core", run_core)
    assert main(["run", "--tier", "tiny", "--no-simulate", "--json",
                 "--log-level", "WARNING"]) == 0
    assert calls[-1] == (tmp_path, {"simulate": False, "tier": "tiny", "log_level": "WARNING"})
    assert '"loaded": []' in capsys.readouterr().out
    assert main(["run", "--tier", "fails", "--json"]) == 1
    assert calls[-1][1] == {"simulate": True, "tier": "fails", "log_level": "INFO"}


@pytest.mark.parametrize("given, passed", [(["--cycle", "2026-10"], "2026-10"),
                                           (["--cycle", "2026-10-01"], "2026-10"),
                                           ([], None)])
def test_sop_cycle_passes_the_cycle_as_yyyy_mm(given, passed, tmp_path, monkeypatch, capsys):
    import orchestration.runner as runner

    calls = []

    def run_sop_cycle(settings, cycle, log_level):
        calls.append((cycle, log_level))
        return True, cycle or "2026-11", []

    monkeypatch.setenv("CT_DATA_DIR", str(tmp_path))
    (tmp_path / "warehouse.duckdb").touch()
    monkeypatch.setattr(runner, "run_sop_cycle", run_sop_cycle)
    assert main(["sop-cycle", *given, "--log-level", "DEBUG"]) == 0
    assert calls == [(passed, "DEBUG")]
    assert "published" in capsys.readouterr().out
