"""Demo staff: teams and users for every role, in the state and every LHD.

Each demo user also gets an authenticator app (TOTP) with a secret derived
from the SECRET_KEY and the username, so ``epitrace demo-code USER`` prints
their current code: the demo signs in with two factors, as production does.
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from django.contrib.auth.hashers import make_password

from epitrace.accounts.mfa import demo_totp_secret, enrol_totp
from epitrace.accounts.models import Membership, Team, User
from epitrace.accounts.roles import Role
from epitrace.jurisdictions.models import Jurisdiction

DEMO_PASSWORD = "epitrace-demo-2026"  # noqa: S105 - printed on purpose for the demo


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    jurisdiction: str


def short_name(jurisdiction: Jurisdiction) -> str:
    code = jurisdiction.code.removeprefix("lhd-").removesuffix("-hd")
    return code.replace("-", "")[:24]


class StaffSeeder:
    def __init__(self) -> None:
        # One hash for every demo user: argon2 is slow on purpose, 400 times is not.
        self.password = make_password(DEMO_PASSWORD)
        self.users: list[User] = []

    def user(self, username: str, name: str, languages: str = "en") -> User:
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={
                "display_name": name,
                "email": f"{username}@health.example.org",
                "password": self.password,
                "languages": languages,
            },
        )
        self.users.append(user)
        return user

    def member(
        self, user: User, jurisdiction: Jurisdiction, role: str, team: Team | None = None
    ) -> None:
        Membership.objects.get_or_create(
            user=user, jurisdiction=jurisdiction, role=role, defaults={"team": team}
        )

    def seed(self, featured: Jurisdiction, neighbour: Jurisdiction) -> list[DemoLogin]:
        root = Jurisdiction.objects.root()
        state_roles = [
            ("admin", "State Administrator", Role.STATE_ADMIN),
            ("useradmin", "User Administrator", Role.USER_ADMIN),
            ("epi", "State Epidemiologist", Role.EPIDEMIOLOGIST),
            ("analyst", "Data Analyst", Role.ANALYST),
            ("outreach", "Outreach Specialist", Role.OUTREACH),
            ("state.supervisor", "State Surge Supervisor", Role.SUPERVISOR),
        ]
        for username, name, role in state_roles:
            self.member(self.user(username, name), root, role)
        surge, _ = Team.objects.get_or_create(jurisdiction=root, name="State Surge Team")
        for i in range(1, 11):
            languages = "en,es" if i % 3 == 0 else "en"
            tracer = self.user(f"state.tracer{i}", f"State Tracer {i}", languages)
            self.member(tracer, root, Role.TRACER, surge)
        for lhd in Jurisdiction.objects.filter(parent=root).order_by("code"):
            self._lhd_staff(lhd)
        self._authenticator_apps()
        return self._logins(featured, neighbour)

    def _authenticator_apps(self) -> None:
        enrolled = set(
            Authenticator.objects.filter(type=Authenticator.Type.TOTP).values_list(
                "user_id", flat=True
            )
        )
        for user in self.users:
            if user.pk not in enrolled:
                enrol_totp(user, demo_totp_secret(user.username))

    def _lhd_staff(self, lhd: Jurisdiction) -> None:
        short = short_name(lhd)
        team, _ = Team.objects.get_or_create(jurisdiction=lhd, name=f"{lhd.name} Tracing Team")
        self.member(self.user(f"{short}.director", f"{lhd.name} Director"), lhd, Role.LHD_DIRECTOR)
        self.member(
            self.user(f"{short}.supervisor", f"{lhd.name} Supervisor"), lhd, Role.SUPERVISOR, team
        )
        tracers = 3 if lhd.kind == "district" else 2
        for i in range(1, tracers + 1):
            languages = "en,es" if i == 2 else ("en,pt" if i == 3 else "en")
            self.member(
                self.user(f"{short}.tracer{i}", f"{lhd.name} Tracer {i}", languages),
                lhd,
                Role.TRACER,
                team,
            )
        if lhd.kind == "district":
            self.member(
                self.user(f"{short}.cbo", f"{lhd.name} Community Resource Coordinator"),
                lhd,
                Role.CBO_COORDINATOR,
            )

    def _logins(self, featured: Jurisdiction, neighbour: Jurisdiction) -> list[DemoLogin]:
        f, n = short_name(featured), short_name(neighbour)
        root = Jurisdiction.objects.root().name
        return [
            DemoLogin("admin", "State administrator", root),
            DemoLogin("epi", "State epidemiologist", root),
            DemoLogin("state.supervisor", "State surge supervisor", root),
            DemoLogin(f"{f}.director", "Local health director", featured.name),
            DemoLogin(f"{f}.supervisor", "Supervisor", featured.name),
            DemoLogin(f"{f}.tracer1", "Contact tracer", featured.name),
            DemoLogin(f"{n}.tracer1", "Contact tracer (another LHD)", neighbour.name),
            DemoLogin("useradmin", "User administrator", root),
            DemoLogin("analyst", "Read-only analyst", root),
        ]
