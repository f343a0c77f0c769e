"""A configuration: geography + indicators + catalogue + sources, read from ``data/<name>/config.yaml``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from observatory._core.settings import DEFAULT_CONFIG, build_dir, data_dir
from observatory._core.yaml_text import load_yaml


@dataclass(frozen=True)
class SourceSpec:
    """One file the configuration ingests, and how."""

    id: str
    adapter: str
    file: Path
    dataset: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Config:
    """A loaded configuration; paths are resolved to absolute ones."""

    name: str
    title: str
    synthetic: bool
    dir: Path
    data_root: Path
    county: dict[str, str]
    england: dict[str, str]
    geography: dict[str, Any]
    raw: dict[str, Any]

    def data_path(self, rel: str | Path) -> Path:
        """A path in the data root (where real data files live)."""
        return (self.data_root / rel).resolve()

    def local_path(self, rel: str | Path) -> Path:
        """A path in the configuration folder (reviewable configuration files)."""
        return (self.dir / rel).resolve()

    @property
    def label(self) -> str:
        return f"{self.title} (synthetic data)" if self.synthetic and "synthetic" not in self.title.lower() else self.title

    @property
    def indicators_file(self) -> Path:
        return self.local_path(self.raw.get("indicators", "indicators.csv"))

    @property
    def localities_file(self) -> Path:
        return self.local_path(self.geography.get("localities", "localities.csv"))

    @property
    def population_source(self) -> str | None:
        return (self.raw.get("population") or {}).get("source")

    @property
    def population_indicator(self) -> str:
        return (self.raw.get("population") or {}).get("indicator", "population")

    @cached_property
    def sources(self) -> list[SourceSpec]:
        entries = self.raw.get("sources", [])
        if isinstance(entries, str):
            entries = load_yaml(self.local_path(entries).read_text()) or []
        specs = []
        for e in entries:
            missing = [k for k in ("id", "adapter", "file", "dataset") if k not in e]
            if missing:
                raise ValueError(f"{self.dir / 'config.yaml'}: source {e.get('id', e)!r} lacks {', '.join(missing)}")
            specs.append(SourceSpec(e["id"], e["adapter"], self.data_path(e["file"]), e["dataset"], dict(e.get("options") or {})))
        return specs

    def source(self, source_id: str) -> SourceSpec:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(f"configuration {self.name!r} has no source {source_id!r}")

    def store_dir(self) -> Path:
        return build_dir() / "store" / self.name


def config_dir(name_or_path: str | Path) -> Path:
    """Resolve a configuration name (``demo``) or a folder/``config.yaml`` path to its folder."""
    p = Path(name_or_path)
    if p.name == "config.yaml":
        return p.parent.resolve()
    if p.is_dir() and (p / "config.yaml").exists():
        return p.resolve()
    root = data_dir()
    candidate = root / str(name_or_path)
    if (candidate / "config.yaml").exists():
        return candidate.resolve()
    known = sorted(d.name for d in root.iterdir() if (d / "config.yaml").exists()) if root.exists() else []
    raise FileNotFoundError(
        f"no configuration {str(name_or_path)!r}: expected {candidate / 'config.yaml'}; known: {', '.join(known)}"
    )


def load_config(name_or_path: str | Path = DEFAULT_CONFIG) -> Config:
    """Load a configuration by name (``demo``, ``warwickshire``) or path."""
    folder = config_dir(name_or_path)
    raw = load_yaml((folder / "config.yaml").read_text()) or {}
    for key in ("name", "title", "county", "geography"):
        if key not in raw:
            raise ValueError(f"{folder / 'config.yaml'}: missing required key {key!r}")
    env_root = os.environ.get(f"OBSERVATORY_DATA_ROOT_{raw['name'].upper()}")
    data_root = Path(env_root) if env_root else (folder / raw.get("data_root", ".")).resolve()
    return Config(
        name=raw["name"],
        title=raw["title"],
        synthetic=bool(raw.get("synthetic", False)),
        dir=folder,
        data_root=data_root,
        county=dict(raw["county"]),
        england=dict(raw.get("england") or {"code": "E92000001", "name": "England"}),
        geography=dict(raw["geography"]),
        raw=raw,
    )
