"""The warehouse's dbt documentation site, built into <data_dir>/docs/ (plain Python).

`dbt docs generate --static` writes one self-contained page (models, columns, tests,
lineage, column types from the warehouse) that opens from disk with no server and no
network. It is regenerated when the project changes (the manifest's checksum), not on
every run: the column types only change with the models.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..dbt_profile import dbt_executable, profiles_dir, seed_partial_parse
from ..settings import DBT_PROJECT_DIR, Settings

SITE = "static_index.html"


def docs_dir(settings: Settings) -> Path:
    return settings.data_dir / "docs"


def model_docs_url(settings: Settings, unique_id: str) -> str:
    """The page of one dbt node in the site (the site's own #!/model/... routes)."""
    kind = unique_id.split(".", 1)[0]
    return f"file://{docs_dir(settings) / SITE}#!/{kind}/{unique_id}"


@dataclass
class DocsResult:
    site: Path
    regenerated: bool
    seconds: float


def build_docs(settings: Settings, manifest: Path) -> DocsResult:
    """Generate the site when the project's manifest changed since the last one."""
    import time

    started = time.perf_counter()
    folder = docs_dir(settings)
    digest = hashlib.sha256(manifest.read_bytes()).hexdigest()
    stamp = folder / ".manifest_sha256"
    site = folder / SITE
    if site.exists() and stamp.exists() and stamp.read_text() == digest:
        return DocsResult(site, False, time.perf_counter() - started)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".docs-", dir=folder.parent) as tmp:
        target = seed_partial_parse(settings, Path(tmp) / "target")
        cmd = [dbt_executable(), "--quiet", "docs", "generate", "--static",
               "--profiles-dir", str(profiles_dir(settings)),
               "--project-dir", str(DBT_PROJECT_DIR), "--target-path", str(target)]
        out = subprocess.run(cmd, cwd=DBT_PROJECT_DIR, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError("dbt docs generate failed: "
                               + (out.stdout + out.stderr).strip().splitlines()[-1])
        new = Path(tmp) / "docs"
        new.mkdir()
        for name in (SITE, "index.html", "manifest.json", "catalog.json"):
            shutil.copy2(target / name, new / name)
        (new / ".manifest_sha256").write_text(digest)
        old = Path(tmp) / "old"
        if folder.exists():
            folder.rename(old)
        new.rename(folder)
    return DocsResult(site, True, time.perf_counter() - started)
