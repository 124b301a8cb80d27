"""Fetching Kafka's and Debezium's jars: clear errors without the tools, no refetch for a reworded comment."""
import shutil

import pytest

from chesanto_comms.embedded import jars


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(jars.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_without_java_the_error_says_what_to_install(empty_cache, monkeypatch):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(jars.FetchError, match="java is not on PATH: Apache Kafka 4 needs a Java 17"):
        jars.fetch()


@pytest.mark.skipif(not shutil.which("java"), reason="needs a java to get past the first check")
def test_without_maven_the_error_says_what_to_install(empty_cache, monkeypatch):
    java_dir = shutil.which("java").rsplit("/", 1)[0]
    bin_dir = empty_cache.parent / "bin"
    bin_dir.mkdir()
    (bin_dir / "java").symlink_to(f"{java_dir}/java")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(bin_dir))
    with pytest.raises(jars.FetchError, match="mvn is not on PATH"):
        jars.fetch()


def test_the_stamp_follows_the_poms_content_not_their_comments(tmp_path, monkeypatch):
    shutil.copytree(jars.POM_DIR, tmp_path / "maven")
    monkeypatch.setattr(jars, "POM_DIR", tmp_path / "maven")
    pom = tmp_path / "maven" / "broker" / "pom.xml"
    before = jars._wanted_stamp("4.3.1", "3.6.1.Final")
    pom.write_text(pom.read_text().replace("<!--", "<!-- reworded:", 1))
    assert jars._wanted_stamp("4.3.1", "3.6.1.Final") == before
    pom.write_text(pom.read_text().replace("log4j-slf4j-impl", "log4j-slf4j2-impl"))
    assert jars._wanted_stamp("4.3.1", "3.6.1.Final") != before
