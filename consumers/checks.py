"""System checks of the consumers app: every template a channel's notifications need is found, and
each channel's settings as set are usable."""
from __future__ import annotations

from pathlib import Path

from django.core import checks

from consumers import rendering
from consumers.channels import available, get_channel, installed
from consumers.delivery import LoggedChannel


def check_templates(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    for name in installed():
        channel = get_channel(name)
        if not isinstance(channel, LoggedChannel):
            continue
        for path in rendering.missing_templates(channel.template_files()):
            errors.append(checks.Error(
                f"the {name} channel's template {path} is in none of the template directories",
                id="chesanto.E009",  # E004 is the Debezium publisher's
                hint=f"Searched {', '.join(rendering.search_path())}. An override in COMMS_TEMPLATE_DIRS must keep "
                     "the packaged relative path; a missing packaged file means a broken install (reinstall the wheel).",
            ))
    return errors


def check_channel_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    return [
        checks.Error(problem, id="chesanto.E005",
                     hint=f"A setting of the {name} channel ({app.name}.settings); `consume {name}` "
                          "refuses to start until it is fixed.")
        for name, app in installed().items() for problem in get_channel(name).settings_problems()
    ]


def check_some_channel_installed(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """An installation upgraded from before channels were apps has none in INSTALLED_APPS: nothing would be sent."""
    if installed():
        return []
    return [checks.Warning(
        "no channel is installed: nothing will be sent",
        id="chesanto.W006",
        hint=f"Add the channels the bakery uses to INSTALLED_APPS ({', '.join(available().values()) or 'none is offered'}; "
             "README, 'Add to an existing Django project'). An upgrade from a release before channels were apps "
             "keeps every log row: add them and run migrate.",
    )]


def check_channel_apps(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Each channel app names a channel class that imports and is a Channel, under a name no other app uses."""
    from django.apps import apps

    from consumers.channel_app import ChannelApp
    from consumers.channels import Channel

    errors, named = [], {}
    for app in apps.get_app_configs():
        if not isinstance(app, ChannelApp):
            continue
        if app.channel_name in named:
            errors.append(checks.Error(
                f"{named[app.channel_name]!r} and {app.name!r} both call their channel {app.channel_name!r}",
                id="chesanto.E007", hint="Leave one of them out of INSTALLED_APPS."))
        named.setdefault(app.channel_name, app.name)
        try:
            channel_class = app.load_channel_class()
        except (ImportError, AttributeError, ValueError) as exc:
            errors.append(checks.Error(f"{app.name}: channel_class {app.channel_class!r} does not import ({exc})",
                                       id="chesanto.E008"))
            continue
        if not (isinstance(channel_class, type) and issubclass(channel_class, Channel)):
            errors.append(checks.Error(f"{app.name}: channel_class {app.channel_class!r} is not a "
                                       "consumers.channels.Channel", id="chesanto.E008"))
    return errors


def shadowed_templates(template_dirs: list[tuple[str, Path]]) -> list[tuple[str, str, str]]:
    """(relative path, the app whose file is used, the app whose file is never found) for every path two
    channel apps' template directories both hold (the first on the search path wins)."""
    first: dict[str, str] = {}
    shadowed = []
    for app_name, directory in template_dirs:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            relative = path.relative_to(directory).as_posix()
            if relative in first:
                shadowed.append((relative, first[relative], app_name))
            else:
                first[relative] = app_name
    return shadowed


def check_template_shadowing(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    dirs = [(app.name, app.templates_dir) for app in installed().values() if app.templates_dir]
    return [
        checks.Warning(f"the template {relative} of {hidden} is never used: {used} has one at the same path",
                       id="chesanto.W007",
                       hint="A channel app prefixes its template paths with its channel's name (chat/…); "
                            "COMMS_TEMPLATE_DIRS is the place to override another channel's templates.")
        for relative, used, hidden in shadowed_templates(dirs)
    ]


def check_translations(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Every message to a customer has each language's template files and subject (consumers/languages.py).
    A missing one is a Warning: that message goes in English, nothing fails."""
    from consumers.languages import ENGLISH, NAMES, Language, customer_facing, gaps
    from outbox.events import get_event_type

    warnings = []
    for name in installed():
        channel = get_channel(name)
        if not isinstance(channel, LoggedChannel):
            continue
        for event_type, notifications in channel.notifications.items():
            if not customer_facing(get_event_type(event_type)):
                continue
            for notification in notifications:
                if not notification.customer:
                    continue
                for language in Language:
                    if language is ENGLISH:
                        continue
                    files = [f"{notification.template}{ext}" for ext in channel.template_extensions]
                    if missing_parts := gaps(notification, language, files):
                        warnings.append(checks.Warning(
                            f"the {name} channel's {notification.name} has no {NAMES[language]} translation: "
                            f"{', '.join(missing_parts)}; it is sent in English to customers who read {NAMES[language]}",
                            id="chesanto.W008",
                            hint="Add the file beside the English one, named by language before the extension, in the "
                                 "channel's message_templates/ or in COMMS_TEMPLATE_DIRS (README, 'Templates and "
                                 "branding').",
                        ))
    return warnings


def check_quiet_hours_channels(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """COMMS_QUIET_HOURS_CHANNELS names channels, and those installed have a log that can say HELD (consumers/holds.py)."""
    from chesanto_comms.conf import comms
    from consumers.delivery_log import DeliveryStatus

    warnings = []
    for name in comms.COMMS_QUIET_HOURS_CHANNELS:
        if name not in installed():
            if name not in available():  # a channel offered but not installed (the default's push) is no mistake
                warnings.append(checks.Warning(
                    f"COMMS_QUIET_HOURS_CHANNELS names {name!r}, which is no channel: nothing is held there",
                    id="chesanto.W016", hint=f"Name channels: {', '.join(installed())}."))
            continue
        channel = get_channel(name)
        status = getattr(getattr(channel, "log_model", None), "Status", None)
        if status is None or DeliveryStatus.HELD.value not in status.values:
            warnings.append(checks.Warning(
                f"COMMS_QUIET_HOURS_CHANNELS names {name!r}, whose delivery log has no HELD status: its held messages "
                "are held and released, but its log and admin cannot name their status",
                id="chesanto.W017", hint="Leave it out, or add HELD to its log model's Status (with a migration)."))
    return warnings
