"""System checks of the consumers app: every template a channel's notifications need is found, and
each channel's settings as set are usable."""
from __future__ import annotations

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
                id="chesanto.E004",
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
