"""`tower` keeps the exit codes of interfaces.md: 0 answer, 2 bad usage, 1 failure."""

from orchestration.cli import main


def test_bad_usage_exits_2(capsys):
    assert main(["no-such-command"]) == 2
    assert "invalid choice" in capsys.readouterr().err
    assert main([]) == 2


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "tower" in capsys.readouterr().out
