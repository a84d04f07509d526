"""``[report]``: how the reports for people present a portfolio to a client.

The criteria (tiers, rules) decide *what* a customer is; these settings decide how a
report reads for the client's leadership: whose portfolio it is, who prepared it,
how confidential it is, and the language and currency its figures are written in.
They never change a result (the JSON and CSV outputs hold the same values whatever
the locale), so they are kept apart from the criteria.
"""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from babel.numbers import list_currencies
from pydantic import Field, field_validator

from clientwise.output.locale import DEFAULT_LOCALE
from clientwise.ruleset.data import Strict


class ReportSettings(Strict):
    """The ``[report]`` table of a ruleset."""

    client: str = Field("", description="The client's name as the report's title page shows it (e.g. 'ACME Industrial GmbH').")
    title: str = Field("", description="The report's title (default: 'Customer portfolio review').")
    prepared_by: str = Field("", description="Who prepared the report: author and firm, shown on the title page.")
    confidentiality: str = Field("", description="A confidentiality marking shown on the title page and every "
                                 "page's footer, e.g. 'Confidential: ACME leadership only'.")
    locale: str = Field(DEFAULT_LOCALE, description="Language and region the report is written in: numbers, dates "
                        "and the report's own text (de-DE, en-GB, en-US, fr-FR, ...). Text is English or German; "
                        "other languages get English text with their own number and date formats.")
    owner: str = Field("account_manager", description="The customer field naming who looks after each customer: "
                       "the report lists each owner's actions separately ('' for no per-owner lists).")
    stake: str = Field("revenue", description="The customer field (an amount) that says what is at stake: within "
                       "a priority, actions are ranked by it, largest first ('' to rank by customer).")
    currency: str = Field("", description="ISO 4217 code of the amounts (EUR, USD, CHF, ...); money is shown with "
                          "its symbol. Empty: amounts without a currency.")

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        try:
            Locale.parse(value.replace("-", "_"))
        except (UnknownLocaleError, ValueError, TypeError) as error:
            raise ValueError(f"unknown locale '{value}' ({error}); write a language and region "
                             "such as de-DE, en-GB, en-US or fr-FR") from None
        return value

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        if value and value not in list_currencies():
            raise ValueError(f"unknown currency '{value}'; write an ISO 4217 code in capitals "
                             "such as EUR, USD, GBP or CHF")
        return value
