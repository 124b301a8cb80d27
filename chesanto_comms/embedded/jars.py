"""The jars of Apache Kafka (broker), Kafka Connect and Debezium, fetched once from Maven Central.

One `mvn dependency:copy-dependencies` over the small reactor in `maven/` (shipped with this
package) copies each tier's runtime dependencies into

    $CHESANTO_KAFKA_CACHE/apache-kafka-<kafka version>/
        broker/     kafka_2.13 + its dependencies + a log4j2 binding (kafka.Kafka, kafka.tools.StorageTool)
        connect/    connect-runtime, -json, -transforms + their dependencies + a log4j2 binding
        debezium/   Connect's plugin.path: debezium-connector-postgres/ (no Kafka jars inside)

`CHESANTO_KAFKA_CACHE` defaults to `$XDG_CACHE_HOME/chesanto-comms` (`~/.cache/chesanto-comms`).
A complete folder carries a stamp of the versions and of the poms' content; while it matches,
nothing runs (a few milliseconds). Maven writes into a temporary sibling that is renamed into
place only once it succeeded, so an interrupted fetch never leaves a folder that looks complete.

    python -m chesanto_comms.embedded.jars [--kafka-version 4.3.1] [--print-dir]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KAFKA_VERSION = os.environ.get("CHESANTO_KAFKA_VERSION", "4.3.1")
# 3.6.1 is built against connect-api 4.3.0 and fails on Connect 4.4 (NoClassDefFoundError: Sanitizer).
DEBEZIUM_VERSION = "3.6.1.Final"
TIERS = ("broker", "connect", "debezium")
CACHE_ENV = "CHESANTO_KAFKA_CACHE"
MIN_JAVA = 17  # Kafka 4's broker and Connect jars are class files of Java 17
POM_DIR = Path(__file__).resolve().parent / "maven"
STAMP = ".complete.json"


class FetchError(RuntimeError):
    """The jars could not be fetched: a tool is missing, or Maven failed (the message says which)."""


def cache_root() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "chesanto-comms"


def jars_dir(kafka_version: str = KAFKA_VERSION) -> Path:
    return cache_root() / f"apache-kafka-{kafka_version}"


def classpath(tier: str, kafka_version: str = KAFKA_VERSION) -> str:
    """A `java -cp` value for "broker" or "connect": the folder's wildcard."""
    return str(jars_dir(kafka_version) / tier / "*")


def plugin_path(kafka_version: str = KAFKA_VERSION) -> str:
    return str(jars_dir(kafka_version) / "debezium")


def _wanted_stamp(kafka_version: str, debezium_version: str) -> dict:
    """Versions and a digest of the poms without their comments (a reworded comment refetches nothing)."""
    digest = hashlib.sha256()
    for pom in sorted(POM_DIR.rglob("pom.xml")):
        text = re.sub(r"<!--.*?-->|\s+", "", pom.read_text(), flags=re.DOTALL)
        digest.update(pom.relative_to(POM_DIR).as_posix().encode() + b"\0" + text.encode())
    return {"kafka": kafka_version, "debezium": debezium_version, "poms": digest.hexdigest()}


def _is_complete(target: Path, stamp: dict) -> bool:
    try:
        found = json.loads((target / STAMP).read_text())
    except (OSError, ValueError):
        return False
    return found == stamp and all(any((target / tier).rglob("*.jar")) for tier in TIERS)


def java_executable() -> str:
    """`$JAVA_HOME/bin/java`, else `java` on PATH, after checking it is Java 17 or newer."""
    home = os.environ.get("JAVA_HOME")
    java = (shutil.which("java", path=os.path.join(home, "bin")) if home else None) or shutil.which("java")
    if not java:
        raise FetchError("java is not on PATH: Apache Kafka 4 needs a Java 17+ runtime "
                         "(Debian: apt-get install openjdk-17-jre-headless; or set JAVA_HOME)")
    out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60).stderr
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        raise FetchError(f"cannot tell the version of {java} from: {out.strip()!r}")
    major = int(match.group(2)) if match.group(1) == "1" else int(match.group(1))  # "1.8.0" is 8
    if major < MIN_JAVA:
        raise FetchError(f"{java} is Java {major}; Apache Kafka 4 needs Java {MIN_JAVA} or newer (set JAVA_HOME)")
    return java


def _maven() -> str:
    mvn = shutil.which("mvn")
    if not mvn:
        raise FetchError("mvn is not on PATH: it fetches the Kafka and Debezium jars from Maven Central, once "
                         "(Debian: apt-get install maven)")
    return mvn


def fetch(kafka_version: str = KAFKA_VERSION, debezium_version: str = DEBEZIUM_VERSION, *,
          verbose: bool = False) -> Path:
    """Make sure the jars of all three tiers are in the cache; return their folder."""
    target = jars_dir(kafka_version)
    stamp = _wanted_stamp(kafka_version, debezium_version)
    if _is_complete(target, stamp):
        return target
    java_executable()  # the jars are of no use without it: say so before downloading them
    mvn = _maven()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    poms = staging / "poms"  # Maven runs on a copy: it writes no target/ folder into the package
    shutil.copytree(POM_DIR, poms, ignore=shutil.ignore_patterns("target"))
    out = staging / "jars"
    cmd = [mvn, "-q", "-B", "-Dstyle.color=never", "-f", str(poms / "pom.xml"), "dependency:copy-dependencies",
           f"-Dchesanto.out={out}", f"-Dkafka.version={kafka_version}", f"-Ddebezium.version={debezium_version}"]
    started = time.monotonic()
    if verbose:
        print("+", " ".join(cmd), file=sys.stderr)
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise FetchError(f"mvn failed (exit {result.returncode}) fetching Kafka {kafka_version} / Debezium "
                             f"{debezium_version}:\n" + "\n".join(_maven_errors(result.stdout + result.stderr)))
        if missing := [tier for tier in TIERS if not any((out / tier).rglob("*.jar"))]:
            raise FetchError(f"mvn succeeded but copied no jar for: {', '.join(missing)}")
        (out / STAMP).write_text(json.dumps(stamp, indent=1) + "\n")
        if target.exists():  # stale (other poms) or incomplete: replace it
            shutil.rmtree(target, ignore_errors=True)
        try:
            out.rename(target)
        except OSError:
            if not _is_complete(target, stamp):  # unless another process won the race with the same result
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if verbose:
        print(f"fetched into {target} in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return target


_BOILERPLATE = ("re-run maven", "-x switch", "-e switch", "for more information about the errors",
                "[error] [help ", "after correcting the problems", "mvn <args>")


def _maven_errors(output: str) -> list[str]:
    """Maven's own [ERROR] lines without its generic advice (or the last 40 lines if there are none)."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in output.strip().splitlines()]
    errors = [line for line in lines if line.startswith("[ERROR]") and line.strip() != "[ERROR]"
              and not any(b in line.lower() for b in _BOILERPLATE)]
    return errors or lines[-40:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kafka-version", default=KAFKA_VERSION)
    parser.add_argument("--debezium-version", default=DEBEZIUM_VERSION)
    parser.add_argument("--print-dir", action="store_true", help="print only the jars folder")
    args = parser.parse_args(argv)
    try:
        target = fetch(args.kafka_version, args.debezium_version, verbose=not args.print_dir)
    except FetchError as exc:
        print(f"jars: {exc}", file=sys.stderr)
        return 1
    if args.print_dir:
        print(target)
    else:
        for tier in TIERS:
            print(f"{tier:9} {len(list((target / tier).rglob('*.jar'))):3} jars  {target / tier}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
