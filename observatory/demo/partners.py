"""The demo county's partner register: the synthetic partners its catalogue names, for a fresh data folder."""

from __future__ import annotations

from pathlib import Path

from observatory._core.files import write_atomic

PARTNERS = """\
# Partner register for the information-sharing charter. Every catalogue record names one of these ids.
# type: county council | district council | police | health | fire | voluntary sector | national publisher | other
# Partners of the synthetic demo county (fictional; every record using them is synthetic)
- {id: demo-county-council, name: Demo County Council (synthetic), type: county council, synthetic: true}
- {id: demo-district-councils, name: Demo County district councils (synthetic), type: district council, synthetic: true}
- {id: demo-police, name: Demo Constabulary (synthetic), type: police, synthetic: true}
- {id: demo-health, name: Demo Integrated Care Board (synthetic), type: health, synthetic: true}
- {id: demo-fire, name: Demo Fire and Rescue Service (synthetic), type: fire, synthetic: true}
- {id: demo-voluntary, name: Demo Community Action (synthetic), type: voluntary sector, synthetic: true}
- {id: demo-national, name: National publisher (synthetic stand-in), type: national publisher, synthetic: true}
"""


def write_partner_register(out_dir: Path | str) -> Path | None:
    """Write ``<out_dir>/../partners.yaml`` (the data folder's register) when it is absent; the path written, else None.

    An existing register is never touched: it may hold real partners.
    """
    path = Path(out_dir).resolve().parent / "partners.yaml"
    if path.exists():
        return None
    return write_atomic(path, PARTNERS)
