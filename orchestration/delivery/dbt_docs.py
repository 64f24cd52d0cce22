"""The warehouse's dbt documentation site, built into <data_dir>/docs/ (plain Python).

One self-contained page (models, columns, tests, lineage, column types from the
warehouse) that opens from disk with no server and no network, as `dbt docs generate
--static` writes it. It is regenerated when the project changes (the manifest's
checksum), not on every run: the column types only change with the models.

dbt compiles every node again to show its compiled SQL (7 of the 11 CPU seconds of
`dbt docs generate` on the tiny company), while the dbt steps that built the warehouse
have just compiled the same nodes. So dbt writes the catalog and the page (`--no-compile`)
and the site takes the project's manifest with each node's compiled SQL from the step
that built it, when the node is unchanged since (its checksum); dbt's own static page
is the page with both documents inlined, done here the same way.
"""

from __future__ import annotations

import hashlib
import json
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


def build_docs(settings: Settings, manifest: Path, dbt: list[str] | None = None) -> DocsResult:
    """Generate the site when the project's manifest changed since the last one
    (`dbt`: the command that runs dbt, this environment's by default)."""
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
        cmd = [*(dbt or [dbt_executable()]), "--quiet", "docs", "generate", "--no-compile",
               "--profiles-dir", str(profiles_dir(settings)),
               "--project-dir", str(DBT_PROJECT_DIR), "--target-path", str(target)]
        out = subprocess.run(cmd, cwd=DBT_PROJECT_DIR, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError("dbt docs generate failed: "
                               + (out.stdout + out.stderr).strip().splitlines()[-1])
        new = Path(tmp) / "docs"
        new.mkdir()
        for name in ("index.html", "catalog.json"):
            shutil.copy2(target / name, new / name)
        site_manifest = with_compiled_code(
            json.loads(manifest.read_text()),
            list((settings.data_dir / "dbt_target").glob("*/manifest.json")))
        (new / "manifest.json").write_text(json.dumps(site_manifest))
        write_static_page(new)
        (new / ".manifest_sha256").write_text(digest)
        old = Path(tmp) / "old"
        if folder.exists():
            folder.rename(old)
        new.rename(folder)
    return DocsResult(site, True, time.perf_counter() - started)


COMPILED_FIELDS = ("compiled", "compiled_code", "compiled_path", "extra_ctes",
                   "extra_ctes_injected")


def with_compiled_code(manifest: dict, step_manifests: list[Path]) -> dict:
    """The project's manifest, each node with the compiled SQL of the newest dbt step
    that compiled it while its checksum was the one of the project now."""
    for path in sorted(step_manifests, key=lambda p: p.stat().st_mtime):
        nodes = json.loads(path.read_text()).get("nodes", {})
        for unique_id, node in nodes.items():
            ours = manifest["nodes"].get(unique_id)
            if (ours is not None and node.get("compiled_code")
                    and node.get("checksum") == ours.get("checksum")):
                ours.update({k: node[k] for k in COMPILED_FIELDS if k in node})
    return manifest


def write_static_page(folder: Path) -> Path:
    """index.html with manifest.json and catalog.json inlined, as dbt's --static does:
    one file that opens from disk."""
    page = (folder / "index.html").read_text()
    for name, placeholder in (("manifest.json", '"MANIFEST.JSON INLINE DATA"'),
                              ("catalog.json", '"CATALOG.JSON INLINE DATA"')):
        if placeholder not in page:
            raise RuntimeError(f"dbt's docs page has no {placeholder}: the dbt version "
                               "changed how the static page is built")
        page = page.replace(placeholder, (folder / name).read_text())
    (folder / SITE).write_text(page)
    return folder / SITE
