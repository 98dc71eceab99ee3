#!/usr/bin/env python3
"""pgxn_meta.py: check a distribution's META.json against the PGXN Meta
Spec 1.0.0 and against the distribution itself.

Usage: pgxn_meta.py DIR   (DIR is the unpacked distribution, META.json in it)

Checks the spec's rules: the required keys, no unknown keys (custom keys
start with x_), SemVer versions, terms, licenses, prereq phases and
relationships with version ranges, release_status, resources, tags.  Then
the distribution: every provided file and docfile exists, and the release
and extension versions are the control file's default_version (SemVer'd,
patch level allowed) with that version's install script as the file.
Prints every problem found; exits 1 if there is one.
"""

import json
import os
import re
import sys

SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")
# a term: at least two characters, no whitespace, control characters,
# slashes, backslashes or colons
TERM = re.compile(r"^[^\s/\\:\x00-\x1f\x7f]{2,}$")
RANGE_OP = re.compile(r"^(==|!=|>=|<=|>|<)?\s*(.+)$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$")
LICENSES = {
    "agpl_3", "apache_1_1", "apache_2_0", "artistic_1", "artistic_2", "bsd",
    "freebsd", "gfdl_1_2", "gfdl_1_3", "gpl_1", "gpl_2", "gpl_3",
    "lgpl_2_1", "lgpl_3_0", "mit", "mozilla_1_0", "mozilla_1_1", "openssl",
    "postgresql", "qpl_1_0", "ssleay", "sun", "zlib", "open_source",
    "restricted", "unrestricted", "unknown",
}
PHASES = {"configure", "build", "test", "runtime", "develop"}
RELATIONSHIPS = {"requires", "recommends", "suggests", "conflicts"}

problems = []


def problem(where, what):
    problems.append(f"{where}: {what}")


def custom(key):
    return key[:2] in ("x_", "X_") and len(key) > 2


def known_keys(where, obj, allowed):
    for key in obj:
        if key not in allowed and not custom(key):
            problem(where, f"unknown key {key!r}")


def nonempty_string(where, value):
    if not isinstance(value, str) or not value:
        problem(where, "must be a non-empty string")


def nonempty_object(where, value):
    """True if value is a non-empty object; else note the problem."""
    if isinstance(value, dict) and value:
        return True
    problem(where, "must be a non-empty object")
    return False


def uri(where, value):
    if not isinstance(value, str) or not URI.match(value):
        problem(where, "must be a URI")


def semver(where, value):
    if not isinstance(value, str) or not SEMVER.match(value):
        problem(where, f"{value!r} is not a SemVer version")


def version_range(where, value):
    if value == 0:
        return
    if not isinstance(value, str):
        problem(where, f"{value!r} is not a version range")
        return
    for part in value.split(","):
        m = RANGE_OP.match(part.strip())
        if not m:
            problem(where, f"{value!r} is not a version range")
        else:
            semver(where, m.group(2).strip())


def check_spec(meta):
    required = ["name", "version", "abstract", "maintainer", "license",
                "provides", "meta-spec"]
    for key in required:
        if key not in meta:
            problem("META.json", f"required key {key!r} missing")
    known_keys("META.json", meta, set(required) | {
        "description", "generated_by", "tags", "no_index", "prereqs",
        "release_status", "resources"})

    if "name" in meta and not (isinstance(meta["name"], str) and TERM.match(meta["name"])):
        problem("name", f"{meta['name']!r} is not a term")
    if "version" in meta:
        semver("version", meta["version"])
    for key in ("abstract", "description", "generated_by"):
        if key in meta:
            nonempty_string(key, meta[key])

    maint = meta.get("maintainer")
    if isinstance(maint, list):
        if not maint:
            problem("maintainer", "must not be an empty list")
        for i, m in enumerate(maint):
            nonempty_string(f"maintainer[{i}]", m)
    elif maint is not None:
        nonempty_string("maintainer", maint)

    lic = meta.get("license")
    if isinstance(lic, str):
        if lic not in LICENSES:
            problem("license", f"{lic!r} is not a license string of the spec")
    elif isinstance(lic, list):
        for i, name in enumerate(lic):
            if name not in LICENSES:
                problem(f"license[{i}]", f"{name!r} is not a license string of the spec")
    elif isinstance(lic, dict):
        if not lic:
            problem("license", "must not be empty")
        for name, url in lic.items():
            uri(f"license.{name}", url)
    elif lic is not None:
        problem("license", "must be a string, a list or an object")

    prov = meta.get("provides")
    if prov is not None and nonempty_object("provides", prov):
        for ext, spec in prov.items():
            where = f"provides.{ext}"
            if not TERM.match(ext):
                problem(where, "the extension name is not a term")
            if not isinstance(spec, dict):
                problem(where, "must be an object")
                continue
            for key in ("file", "version"):
                if key not in spec:
                    problem(where, f"required key {key!r} missing")
            known_keys(where, spec, {"file", "version", "abstract", "docfile"})
            if "version" in spec:
                semver(f"{where}.version", spec["version"])
            for key in ("file", "docfile", "abstract"):
                if key in spec:
                    nonempty_string(f"{where}.{key}", spec[key])

    ms = meta.get("meta-spec")
    if ms is not None:
        if not isinstance(ms, dict) or ms.get("version") != "1.0.0":
            problem("meta-spec", "must be an object with version \"1.0.0\"")
        else:
            known_keys("meta-spec", ms, {"version", "url"})
            if "url" in ms:
                uri("meta-spec.url", ms["url"])

    pre = meta.get("prereqs")
    if pre is not None and nonempty_object("prereqs", pre):
        known_keys("prereqs", pre, PHASES)
        for phase, rels in pre.items():
            if custom(phase):
                continue
            if not nonempty_object(f"prereqs.{phase}", rels):
                continue
            known_keys(f"prereqs.{phase}", rels, RELATIONSHIPS)
            for rel, deps in rels.items():
                where = f"prereqs.{phase}.{rel}"
                if not nonempty_object(where, deps):
                    continue
                for name, rng in deps.items():
                    if not TERM.match(name):
                        problem(where, f"{name!r} is not a term")
                    version_range(f"{where}.{name}", rng)

    if "release_status" in meta and meta["release_status"] not in (
            "stable", "testing", "unstable"):
        problem("release_status", "must be stable, testing or unstable")

    res = meta.get("resources")
    if res is not None and nonempty_object("resources", res):
        known_keys("resources", res, {"homepage", "bugtracker", "repository"})
        if "homepage" in res:
            uri("resources.homepage", res["homepage"])
        bt = res.get("bugtracker")
        if bt is not None:
            if not isinstance(bt, dict) or not ("web" in bt or "mailto" in bt):
                problem("resources.bugtracker", "needs web or mailto")
            else:
                known_keys("resources.bugtracker", bt, {"web", "mailto"})
                if "web" in bt:
                    uri("resources.bugtracker.web", bt["web"])
                if "mailto" in bt and not EMAIL.match(str(bt["mailto"])):
                    problem("resources.bugtracker.mailto", "must be an email address")
        repo = res.get("repository")
        if repo is not None:
            if not isinstance(repo, dict) or not (
                    "web" in repo or ("url" in repo and "type" in repo)):
                problem("resources.repository", "needs web, or url and type")
            else:
                known_keys("resources.repository", repo, {"url", "web", "type"})
                for key in ("url", "web"):
                    if key in repo:
                        uri(f"resources.repository.{key}", repo[key])
                if "type" in repo and not re.match(r"^[a-z]+$", str(repo["type"])):
                    problem("resources.repository.type", "must be a lowercase word")

    tags = meta.get("tags")
    if tags is not None:
        if not isinstance(tags, list) or not tags:
            problem("tags", "must be a non-empty list")
        else:
            for i, tag in enumerate(tags):
                if not isinstance(tag, str) or not 0 < len(tag) <= 255:
                    problem(f"tags[{i}]", "must be a string of 1 to 255 characters")


def check_distribution(meta, root):
    for ext, spec in (meta.get("provides") or {}).items():
        if not isinstance(spec, dict):
            continue
        for key in ("file", "docfile"):
            path = spec.get(key)
            if isinstance(path, str) and not os.path.isfile(os.path.join(root, path)):
                problem(f"provides.{ext}.{key}", f"{path} is not in the distribution")

    with open(os.path.join(root, "accmatch.control"), encoding="utf-8") as f:
        m = re.search(r"^default_version\s*=\s*'([^']+)'", f.read(), re.M)
    if not m:
        problem("accmatch.control", "no default_version")
        return
    control = m.group(1)

    def matches_control(where, version):
        if not isinstance(version, str) or not (
                version == control or version.startswith(control + ".")):
            problem(where, f"{version!r} is not accmatch.control's version {control}")

    matches_control("version", meta.get("version"))
    ext = (meta.get("provides") or {}).get("accmatch")
    if not isinstance(ext, dict):
        problem("provides", "does not provide accmatch")
        return
    matches_control("provides.accmatch.version", ext.get("version"))
    if ext.get("file") != f"accmatch--{control}.sql":
        problem("provides.accmatch.file", f"is not accmatch--{control}.sql")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: pgxn_meta.py DIR")
    root = sys.argv[1]
    try:
        with open(os.path.join(root, "META.json"), encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"pgxn: META.json: {e}")
    if not isinstance(meta, dict):
        sys.exit("pgxn: META.json is not an object")
    check_spec(meta)
    check_distribution(meta, root)
    for p in problems:
        print(f"pgxn: META.json {p}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"pgxn: META.json of {meta['name']} {meta['version']} follows the PGXN Meta Spec")


if __name__ == "__main__":
    main()
