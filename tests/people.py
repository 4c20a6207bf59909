"""Test users: one of each role (and a second citizen) with API tokens, made by the real account code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sohoa.archive import accounts
from sohoa.records.access import Role, User
from sohoa.storage.base import ObjectStore

AGENCY = "000.00.11.H29"
OTHER_AGENCY = "000.00.12.H29"
CITIZEN_A = "001089012345"
CITIZEN_B = "079185000123"


@dataclass(frozen=True)
class Person:
    username: str
    role: Role
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def add_people(store: ObjectStore, users: list[User]) -> dict[str, Person]:
    """Each user stored, with an API token good for two hours."""
    people = {}
    for user in users:
        accounts.add_user(store, user)
        token, _ = accounts.issue_token(store, user.username, lifetime=timedelta(hours=2))
        people[user.username] = Person(user.username, user.role, token)
    return people


def make_people(store: ObjectStore) -> dict[str, Person]:
    users = [
        User(username="staff", role=Role.STAFF, agency=AGENCY),
        User(username="officer", role=Role.OFFICER, agency=AGENCY),
        User(username="officer2", role=Role.OFFICER, agency=OTHER_AGENCY),
        User(username="citizen-a", role=Role.CITIZEN, personal_id=CITIZEN_A),
        User(username="citizen-b", role=Role.CITIZEN, personal_id=CITIZEN_B),
        User(username="admin", role=Role.ADMIN),
    ]
    return add_people(store, users)
