"""The `pos` command as operators script it: real processes, real databases."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from core.services.demo_history import HISTORY_MESSAGES
from core.services.demo_messages import DEMO
from tests.e2e.processes import free_port
from tests.support.databases import create_database, drop_database

POS = [sys.executable, "-m", "pos"]


def run(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*POS, *args], env=env, capture_output=True, text=True, timeout=300,
                            check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"pos {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded_env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    if request.param == "postgresql" and not os.environ.get("POS_TEST_POSTGRES_URL"):
        pytest.skip("POS_TEST_POSTGRES_URL not set")
    tmp = tmp_path_factory.mktemp("cli")
    url = create_database(request.param, tmp)
    env = {**os.environ, "POS_DATABASE_URL": url, "POS_DATA_DIR": str(tmp / "var"),
           "POS_ENVIRONMENT": "test", "POS_DEMO_HISTORY_MESSAGES": "20"}
    out = run(env, "seed", "demo").stdout
    assert "организаций 73" in out and "moderator" in out
    yield env, tmp
    drop_database(url)


def test_db_upgrade_on_empty_sqlite(tmp_path: Path) -> None:
    env = {**os.environ, "POS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.sqlite3"}
    assert "обновлена" in run(env, "db", "upgrade").stdout
    assert "обновлена" in run(env, "db", "upgrade").stdout  # again: nothing to do, no error


def test_seed_twice_is_refused(seeded_env) -> None:
    env, _ = seeded_env
    result = run(env, "seed", "demo", check=False)
    assert result.returncode == 2 and "уже загружены" in result.stderr


def test_import_then_list_json(seeded_env) -> None:
    env, tmp = seeded_env
    lines = [
        {"text": "Яма на дороге у дома номер пять, колёса бьются.", "subcategory": "roads_potholes",
         "address": "Новосибирск, ул. Ленина, 5",
         "citizen": {"channel": "telegram", "external_id": "cli-1", "name": "Анна"}},
        {"text": "Нет талонов к терапевту на месяц вперёд, помогите.",
         "subcategory": "healthcare_appointment", "territory": "54-berdsk", "source": "api"},
        {"text": "коротко", "subcategory": "roads_potholes"},
        "not json at all",
        {"text": "Не вывозят мусор уже неделю, всё переполнено.", "subcategory": "nope"},
    ]
    path = tmp / "in.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)
                              for x in lines) + "\n", encoding="utf-8")
    result = run(env, "messages", "import", str(path), check=False)
    assert result.returncode == 1
    numbers = [int(n) for n in result.stdout.split()]
    assert len(numbers) == 2
    assert "строка 3" in result.stderr and "строка 4" in result.stderr
    assert "строка 5" in result.stderr and "Не импортировано строк: 3" in result.stderr
    # Running the same file again creates nothing new.
    again = run(env, "messages", "import", str(path), check=False)
    assert [int(n) for n in again.stdout.split()] == numbers
    # Nor does it after the operator drops the bad lines (positions change, content does not).
    good = [x for x in path.read_text(encoding="utf-8").splitlines() if x.startswith("{")][:2]
    path.write_text("\n".join(good) + "\n", encoding="utf-8")
    assert [int(n) for n in run(env, "messages", "import", str(path)).stdout.split()] == numbers

    rows = [json.loads(x) for x in run(env, "messages", "list", "--json").stdout.splitlines()]
    mine = {r["number"]: r for r in rows if r["number"] in numbers}
    assert set(mine) == set(numbers)
    first = mine[numbers[0]]
    assert set(first) == {"number", "status", "stage", "category", "subcategory", "organisation",
                          "fast_track", "answer_due", "created_at"}
    assert (first["status"], first["stage"], first["category"], first["organisation"],
            first["fast_track"]) == ("moderation", "moderation", "roads", "NSK-ADM", True)
    assert mine[numbers[1]]["organisation"] == "MINZDRAV-54"
    only = run(env, "messages", "list", "--json", "--org", "MINZDRAV-54", "--status",
               "moderation").stdout.splitlines()
    assert all(json.loads(x)["organisation"] == "MINZDRAV-54" for x in only)
    assert numbers[1] in [json.loads(x)["number"] for x in only]
    bad = run(env, "messages", "list", "--status", "nonsense", check=False)
    assert bad.returncode == 2 and "неизвестный статус" in bad.stderr


def test_overdue_filter_uses_deadlines(seeded_env) -> None:
    env, _ = seeded_env
    every = [json.loads(line) for line in
             run(env, "messages", "list", "--json").stdout.splitlines()]
    overdue = [json.loads(line) for line in
               run(env, "messages", "list", "--json", "--overdue").stdout.splitlines()]
    # The demo history leaves some answers late; exactly the open ones past their deadline.
    now = datetime.now(UTC)
    expected = [m["number"] for m in every if m["status"] not in ("answered", "closed", "rejected")
                and datetime.fromisoformat(m["answer_due"]) < now]
    assert expected and [m["number"] for m in overdue] == expected


def test_classifier_export_import_round_trip(seeded_env) -> None:
    env, tmp = seeded_env
    as_json = json.loads(run(env, "classifier", "export", "--format", "json").stdout)
    as_yaml = yaml.safe_load(run(env, "classifier", "export", "--format", "yaml").stdout)
    assert as_json == as_yaml
    assert len(as_json["categories"]) == 31
    subs = [s for c in as_json["categories"] for s in c["subcategories"]]
    assert len(subs) >= 300
    assert set(subs[0]) == {"slug", "name", "answer_days", "fast_track", "fast_track_days"}
    # Shorten one deadline and load it back.
    as_json["categories"][0]["subcategories"][0]["answer_days"] = 12
    path = tmp / "classifier.yaml"
    path.write_text(yaml.safe_dump(as_json, allow_unicode=True), encoding="utf-8")
    assert "подкатегорий" in run(env, "classifier", "import", str(path)).stdout
    again = json.loads(run(env, "classifier", "export").stdout)
    assert again["categories"][0]["subcategories"][0]["answer_days"] == 12
    broken = tmp / "broken.json"
    broken.write_text(json.dumps({"categories": [{"slug": "Bad Slug"}]}), encoding="utf-8")
    result = run(env, "classifier", "import", str(broken), check=False)
    assert result.returncode == 2 and "код" in result.stderr


def test_staff_add(seeded_env) -> None:
    env, _ = seeded_env
    out = run(env, "staff", "add", "--org", "BERDSK-ADM", "--role", "coordinator",
              "--login", "berdsk.coord", "--password", "s3cret-pass").stdout
    assert "berdsk.coord" in out and "coordinator" in out
    # The same login gets a second role without a password.
    run(env, "staff", "add", "--org", "BERDSK-ADM", "--role", "manager", "--login", "berdsk.coord")
    bad = run(env, "staff", "add", "--org", "NOPE", "--role", "executor", "--login", "x.y.z",
              "--password", "s3cret-pass", check=False)
    assert bad.returncode == 2 and "не найдена" in bad.stderr
    weak = run(env, "staff", "add", "--org", "BERDSK-ADM", "--role", "executor", "--login",
               "weak.user", "--password", "123", check=False)
    assert weak.returncode == 2 and "Пароль" in weak.stderr


@pytest.mark.slow
def test_killed_import_loses_nothing_it_reported(seeded_env) -> None:
    """kill -9 in the middle of an import: every number printed is in the database, and running
    the file again completes it without duplicates."""
    env, tmp = seeded_env
    path = tmp / "big.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(1500):
            fh.write(json.dumps({
                "text": f"Яма на дороге у дома {i}, прошу отремонтировать покрытие.",
                "subcategory": "roads_potholes", "address": f"Новосибирск, ул. Ленина, {i}",
                "citizen": {"channel": "vk", "external_id": f"crash-{i % 50}"}},
                ensure_ascii=False) + "\n")
    proc = subprocess.Popen([*POS, "messages", "import", str(path)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    reported: list[int] = []
    deadline = time.monotonic() + 120
    while len(reported) < 100 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        reported.append(int(line))
    proc.send_signal(signal.SIGKILL)
    tail, _ = proc.communicate(timeout=30)
    reported += [int(x) for x in tail.split()]
    assert 100 <= len(reported) < 1500, "the import must be killed midway"
    listed = {json.loads(x)["number"]
              for x in run(env, "messages", "list", "--json").stdout.splitlines()}
    assert set(reported) <= listed
    # Resume: the whole file is in, each line exactly once.
    finished = run(env, "messages", "import", str(path))
    numbers = [int(x) for x in finished.stdout.split()]
    assert len(numbers) == 1500 and len(set(numbers)) == 1500
    assert set(reported) <= set(numbers)


def _get_when_up(url: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return str(response.read().decode())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.slow
def test_pos_up_migrates_seeds_and_stops_cleanly(tmp_path: Path) -> None:
    """The README's first command, on embedded defaults in an empty directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POS_")}
    env["POS_HTTP_PORT"] = str(port := free_port())
    with subprocess.Popen([*POS, "up"], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None
        seen: list[str] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            if "ПОС запущена" in line:
                break
        text = "".join(seen)
        assert "ПОС запущена" in text, text
        assert "moderator" in text and "demo-moderator" in text
        assert f"http://127.0.0.1:{port}/admin/" in text
        assert "Вход для сотрудников" in _get_when_up(f"http://127.0.0.1:{port}/admin/login")
        # The worker delivers the demo notifications to the development console.
        deadline = time.monotonic() + 30
        while "зарегистрировано" not in text and time.monotonic() < deadline:
            text += proc.stdout.readline()
        assert "зарегистрировано" in text
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    assert (tmp_path / "var" / "pos.sqlite3").exists()
    env["POS_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path}/var/pos.sqlite3"
    listed = run(env, "messages", "list", "--json").stdout.splitlines()
    assert len(listed) == len(DEMO) + HISTORY_MESSAGES


def test_pos_up_says_plainly_when_its_port_is_taken(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POS_")}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env["POS_HTTP_PORT"] = str(port := taken.getsockname()[1])
        done = subprocess.run([*POS, "up"], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert f"Адрес 127.0.0.1:{port} занят" in done.stderr and "Traceback" not in done.stderr
