#!/usr/bin/env python3
"""Take the README's screenshots from a running demo (tools/demo) with headless Chromium.

    tools/demo --port 8269 --db shots &          # in another shell, or before
    tools/screenshots.py --url http://localhost:8269 --db shots

Logs in over JSON-RPC, hands the session cookie to Chromium and drives it over
the DevTools protocol (websocket-client, as Odoo's own tours do).  Before the
shots it reads the status of the demo's contracts, so the list and the chatter
show what the simulated devices answered; the failure dialog is a Suspend
on an active contract whose OLT the script switches off first (tools/demo
--stop-device) and on again afterwards.  Writes static/description/screenshot_*.png.
"""

import argparse
import base64
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "static" / "description"


class Odoo:
    """JSON-RPC as the web client speaks it, with its session cookie."""

    def __init__(self, url, db, login, password):
        self.url = url.rstrip("/")
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.call("/web/session/authenticate", {"db": db, "login": login, "password": password})

    def call(self, route, params):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}).encode()
        request = urllib.request.Request(self.url + route, body, {"Content-Type": "application/json"})
        with self.opener.open(request, timeout=120) as response:
            answer = json.load(response)
        if answer.get("error"):
            raise RuntimeError(answer["error"]["data"]["message"])
        return answer["result"]

    def execute(self, model, method, *args, **kwargs):
        return self.call(
            "/web/dataset/call_kw", {"model": model, "method": method, "args": list(args), "kwargs": kwargs}
        )

    @property
    def session_id(self):
        return next(cookie.value for cookie in self.jar if cookie.name == "session_id")


class Chromium:
    """One headless page, driven over the DevTools protocol."""

    def __init__(self, width, height):
        import websocket  # pylint: disable=import-outside-toplevel

        binary = shutil.which("chromium") or shutil.which("google-chrome") or shutil.which("chromium-browser")
        if not binary:
            sys.exit("tools/screenshots.py: no Chromium found (install Debian's chromium package)")
        self.profile = tempfile.mkdtemp(prefix="silver_shots_")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            [
                binary,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--window-size={width},{height}",
                f"--remote-debugging-port={port}",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as response:
                    pages = [page for page in json.load(response) if page["type"] == "page"]
                if pages:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            self.close()
            sys.exit("tools/screenshots.py: Chromium did not open its DevTools port")
        self.socket = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=60)
        self.ids = 0
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)

    def send(self, method, **params):
        self.ids += 1
        self.socket.send(json.dumps({"id": self.ids, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.ids:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result.get("result", {}).get("value")

    def wait_for(self, selector, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(f"!!document.querySelector({json.dumps(selector)})"):
                return
            time.sleep(0.3)
        raise RuntimeError(f"{selector} did not appear")

    def open(self, url, selector):
        self.send("Page.navigate", url=url)
        time.sleep(1)
        self.wait_for(selector)
        time.sleep(1.5)  # fonts, icons and the chatter settle

    def shoot(self, path):
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        print(f"wrote {path.relative_to(REPO)}")

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


def demo_device(args, what, device):
    """Switch one of the running demo's devices off or on (as tools/demo --stop-device does)."""
    command = [sys.executable, str(REPO / "tools" / "demo"), "--db", args.db, f"--{what}-device", device]
    if args.cache_dir:
        command += ["--cache-dir", args.cache_dir]
    subprocess.run(command, check=True)


def poll_olts(odoo, timeout=120):
    """Poll every OLT now (the demo's job runner runs the jobs) and wait for the results."""
    olts = odoo.execute("silver.olt", "search", [("platform", "!=", False)])
    odoo.execute("silver.olt", "action_poll_now", olts)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = odoo.execute("silver.olt", "read", olts, ["inventory_poll_state"])
        if all(state["inventory_poll_state"] in ("ok", "failed") for state in states):
            return
        time.sleep(2)
    print("tools/screenshots.py: some polls did not finish; the list shows what was read")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", default="silver_demo")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--cache-dir", help="the demo's --cache-dir, if it was given one")
    parser.add_argument(
        "--failing-device",
        default="mikrotik",
        help="the device switched off for the failure dialog (the router: every demo contract's Suspend reaches it)",
    )
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()
    odoo = Odoo(args.url, args.db, args.login, args.password)
    poll_olts(odoo)
    contracts = odoo.execute(
        "silver.contract",
        "search_read",
        [("state_service", "in", ["active", "suspended"]), ("olt_id", "!=", False)],
        ["name", "olt_id", "provisioning_platform", "state_service"],
    )
    if not contracts:
        sys.exit("tools/screenshots.py: the demo has no contract in service")
    for contract in contracts:
        try:
            odoo.execute("silver.contract", "action_read_onu_status", [contract["id"]])
        except RuntimeError as error:
            print(f"{contract['name']}: {error}")
    active = [c for c in contracts if c["state_service"] == "active"] or contracts
    shown = next((c for c in active if c["provisioning_platform"] == args.failing_device), active[0])
    base = f"{args.url}/web"
    OUT.mkdir(parents=True, exist_ok=True)
    browser = Chromium(args.width, args.height)
    try:
        browser.send("Network.enable")
        browser.send("Network.setCookie", name="session_id", value=odoo.session_id, url=args.url)
        browser.open(f"{base}#action=silver_provisioning.silver_provisioned_onu_action", ".o_data_row")
        browser.shoot(OUT / "screenshot_onu_list.png")
        browser.open(f"{base}#action=silver_provisioning.silver_olt_dashboard_action", ".o_silver_count_online")
        browser.shoot(OUT / "screenshot_olt_dashboard.png")
        form = f"{base}#model=silver.contract&id={shown['id']}&view_type=form"
        # The transcript block of the newest log (models/silver_provisioning_transcript_render.py).
        browser.open(form, ".o-mail-Message-body .o_silver_transcript")
        browser.evaluate("document.querySelector('.o-mail-Message').scrollIntoView({block: 'start'})")
        time.sleep(0.5)
        browser.shoot(OUT / "screenshot_transcript.png")
        demo_device(args, "stop", args.failing_device)
        try:
            # Suspend, not Read ONU Status: a failed read is a notification (the status turns
            # stale), a failed change of service is the device failure dialog.
            browser.open(form, "button[name=action_suspend_service]")
            browser.evaluate("document.querySelector('button[name=action_suspend_service]').click()")
            browser.wait_for(".modal-footer .btn-primary")
            browser.evaluate("document.querySelector('.modal-footer .btn-primary').click()")
            browser.wait_for(".modal .o_error_dialog", timeout=60)
            time.sleep(1)
            browser.shoot(OUT / "screenshot_failure_dialog.png")
        finally:
            demo_device(args, "start", args.failing_device)
    finally:
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
