#!/usr/bin/env python3
# check-flatpak.py — the Flatpak manifests build the right app with the sandbox the design asks for.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Usage: check-flatpak.py FLATPAK_DIR APP_ID

Checks FLATPAK_DIR/APP_ID.json (the release build) and APP_ID.Devel.json, and
prints TAP."""
import json
import os
import re
import sys

REQUIRED_ARGS = ['--share=network', '--share=ipc', '--socket=wayland',
                 '--socket=fallback-x11', '--device=dri']
# libsecret reaches the Secret portal inside the sandbox (sy-keys.c, in_sandbox ()).
FORBIDDEN_TALK = {'org.freedesktop.secrets'}
FORBIDDEN_FILESYSTEMS = {'home', 'host', 'host-os', 'host-etc', '~'}

results = []


def check(ok, name, detail=None):
    results.append((bool(ok), name, detail))


def app_module(manifest):
    modules = manifest.get('modules') or []
    return modules[-1] if modules and isinstance(modules[-1], dict) else {}


def check_modules(label, modules):
    for module in modules:
        if isinstance(module, str):  # a path to a module file
            continue
        for source in module.get('sources', []):
            if isinstance(source, dict) and source.get('type') in ('archive', 'file'):
                check(re.fullmatch(r'[0-9a-f]{64}', source.get('sha256', '')) is not None,
                      f'{label}: {module.get("name")} source {source.get("url")} has a sha256')
        check_modules(label, module.get('modules', []))


def check_manifest(path, app_id, devel):
    label = os.path.basename(path)
    try:
        with open(path, encoding='utf-8') as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        check(False, f'{label}: is valid JSON', str(e))
        return
    check(isinstance(manifest, dict), f'{label}: is valid JSON')
    if not isinstance(manifest, dict):
        return

    got_id = manifest.get('id', manifest.get('app-id'))
    check(got_id == app_id, f'{label}: app id is {app_id}', f'found {got_id!r}')
    check(manifest.get('command') == 'switchyard', f'{label}: command is switchyard')
    check(manifest.get('runtime') == 'org.gnome.Platform' and manifest.get('sdk') == 'org.gnome.Sdk',
          f'{label}: GNOME runtime and SDK')
    # GNOME 43 ships GTK 4.8 and libadwaita 1.2, the floors of design.md.
    check(str(manifest.get('runtime-version')) == '43', f'{label}: runtime-version 43',
          f'found {manifest.get("runtime-version")!r}')

    args = manifest.get('finish-args', [])
    missing = [a for a in REQUIRED_ARGS if a not in args]
    check(not missing, f'{label}: finish-args have network, IPC, Wayland, X11 fallback and DRI',
          f'missing {missing}')
    talk = [a for a in args if re.match(r'--(talk|own|system-talk)-name=', a)
            and a.split('=', 1)[1] in FORBIDDEN_TALK]
    check(not talk, f'{label}: no --talk-name=org.freedesktop.secrets (secrets go through the portal)',
          f'found {talk}')
    broad = [a for a in args if a.startswith('--filesystem=')
             and a.split('=', 1)[1].split(':', 1)[0].rstrip('/') in FORBIDDEN_FILESYSTEMS]
    check(not broad, f'{label}: no --filesystem=home or host', f'found {broad}')

    module = app_module(manifest)
    check(module.get('name') == 'switchyard' and module.get('buildsystem') == 'meson',
          f'{label}: the last module builds switchyard with meson')
    opts = module.get('config-opts', [])
    if devel:
        check('-Ddevelopment=true' in opts, f'{label}: builds with -Ddevelopment=true', f'found {opts}')
    else:
        check(not any(o.startswith('-Ddevelopment=') and o != '-Ddevelopment=false' for o in opts),
              f'{label}: is not a development build', f'found {opts}')
    check_modules(label, manifest.get('modules', []))


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    directory, app_id = sys.argv[1], sys.argv[2]
    check_manifest(os.path.join(directory, app_id + '.json'), app_id, devel=False)
    check_manifest(os.path.join(directory, app_id + '.Devel.json'), app_id + '.Devel', devel=True)

    print(f'1..{len(results)}')
    for n, (ok, name, detail) in enumerate(results, 1):
        print(f'{"ok" if ok else "not ok"} {n} {name}')
        if not ok and detail:
            print(f'# {detail}')
    return 0 if all(ok for ok, _, _ in results) else 1


if __name__ == '__main__':
    sys.exit(main())
