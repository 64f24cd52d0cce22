"""`tower` keeps the exit codes of interfaces.md: 0 answer, 2 bad usage, 1 failure."""

from orchestration.cli import main


def test_bad_usage_exits_2(capsys):
    assert main(["no-such-command"]) == 2
    assert "invalid choice" in capsys.readouterr().err
    assert main([]) == 2


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "tower" in capsys.readouterr().out


def test_an_sop_cycle_outside_the_cycles_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    assert main(["sop-cycle", "--cycle", "2019-01"]) == 2
    assert "S&OP cycle" in capsys.readouterr().err   # none before 2024-11 (or no models)
