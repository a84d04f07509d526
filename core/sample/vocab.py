"""Word lists the sample portfolio is made of.

Kept apart from the generator so the numbers and the look of the data can be tuned
independently. Names are invented; a few carry commas, ampersands and non-ASCII
letters because real CRM exports do, and the loaders must cope with them.
"""

from __future__ import annotations

#: (industry, weight, words that appear in company names of that industry)
INDUSTRIES: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("Manufacturing", 18, ("Precision", "Components", "Machining", "Industries")),
    ("Wholesale", 12, ("Trading", "Supply", "Distribution", "Wholesale")),
    ("Logistics", 9, ("Logistics", "Freight", "Transport", "Shipping")),
    ("Healthcare", 8, ("Medical", "Clinics", "Health", "Diagnostics")),
    ("Construction", 9, ("Construction", "Building", "Infrastructure", "Projects")),
    ("Energy", 6, ("Energy", "Power", "Utilities", "Solar")),
    ("Retail", 8, ("Retail", "Stores", "Markets", "Home")),
    ("Food & Beverage", 8, ("Foods", "Beverages", "Dairy", "Bakeries")),
    ("Automotive", 7, ("Automotive", "Motors", "Mobility", "Parts")),
    ("Chemicals", 6, ("Chemicals", "Coatings", "Polymers", "Labs")),
    ("Software", 5, ("Software", "Systems", "Digital", "Data")),
    ("Financial Services", 4, ("Capital", "Insurance", "Finance", "Leasing")),
)

#: (region, weight, legal forms common there)
REGIONS: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("DACH", 24, ("GmbH", "AG", "GmbH & Co. KG")),
    ("Benelux", 12, ("B.V.", "N.V.")),
    ("Nordics", 11, ("AB", "A/S", "Oy", "ASA")),
    ("UK & Ireland", 14, ("Ltd", "plc")),
    ("France", 12, ("SAS", "S.A.")),
    ("Iberia", 9, ("S.A.", "S.L.", "Lda")),
    ("Italy", 9, ("S.p.A.", "S.r.l.")),
    ("Central Europe", 9, ("s.r.o.", "Sp. z o.o.", "Kft.")),
)

STEMS: tuple[str, ...] = (
    "Nordwind", "Alpen", "Rhein", "Baltic", "Atlas", "Helix", "Vektor", "Polaris",
    "Aurora", "Kestrel", "Meridian", "Solis", "Terra", "Orion", "Cobalt", "Granit",
    "Falke", "Lumen", "Argon", "Zenit", "Boreal", "Delta", "Corvus", "Fjord",
    "Hanse", "Lyra", "Nova", "Vertex", "Arcadia", "Brenner", "Carrara", "Danubia",
    "Elbe", "Tessin", "Ardent", "Cirrus", "Halden", "Mistral", "Öresund", "Côte d'Or",
    "Sierra", "Pioneer", "Summit", "Harbor", "Keystone", "Northstar", "Bluewater", "Ironbridge",
)

#: Family names, used for people and for partnership-style company names.
SURNAMES: tuple[str, ...] = (
    "Becker", "Haas", "Jansen", "Müller", "Schulz", "Dubois", "Moreau", "Rossi",
    "Bianchi", "García", "López", "Silva", "Nilsson", "Lindberg", "Virtanen", "Hansen",
    "Novák", "Kowalski", "Horváth", "Smith", "O'Brien", "Murphy", "Taylor", "Evans",
    "de Vries", "Peeters", "Bakker", "Weiss", "Fontana", "Ferreira", "Berg", "Kuhn",
    "Lambert", "Costa", "Nowak", "Eriksson", "Walsh", "Hughes", "Vogel", "Richter",
)

FIRST_NAMES: tuple[str, ...] = (
    "Anna", "Ben", "Carla", "David", "Elif", "Finn", "Greta", "Hugo", "Ines", "Jan",
    "Katja", "Lars", "Marta", "Nils", "Olga", "Paul", "Quentin", "Rosa", "Stefan", "Tilda",
    "Ugo", "Vera", "Willem", "Xenia", "Yusuf", "Zoë", "Amélie", "Björn", "Chiara", "Diego",
    "Emma", "Fatima", "Georg", "Hanna", "Ivan", "Julia", "Karim", "Lena", "Mateus", "Nora",
)

#: Our own people: who owns accounts, sponsors them at executive level, and serves them.
ACCOUNT_MANAGERS: tuple[tuple[str, float], ...] = (
    ("Anna Weber", 14), ("Jonas Keller", 12), ("Sofia Martins", 11), ("Lukas Brandt", 10),
    ("Emma Janssen", 10), ("Noah Fischer", 9), ("Clara Dubois", 9), ("Mateo Rossi", 9),
    ("Ida Lindqvist", 8), ("Oliver Hart", 8),
)
EXECUTIVES: tuple[str, ...] = (
    "Petra Vogel", "Martin Sauer", "Elena Costa", "Henrik Berg", "Claire Fontaine", "Thomas Reid",
)
SERVICE_STAFF: tuple[str, ...] = ("Mia Novak", "Felix Wagner", "Service Desk")
PRODUCT_STAFF: tuple[str, ...] = ("Lena Hoffmann", "Samuel Ortiz")

#: Tier overrides a consultant typically finds, with the reasons people give for them.
OVERRIDE_REASONS: dict[str, tuple[str, ...]] = {
    "strategic": (
        "Reference customer for the new product line",
        "Group parent is a strategic account",
        "Entry point into the Nordic market",
    ),
    "core": ("Growing fast after an acquisition", "Key logo in the region"),
    "transactional": ("Moving to a distributor next year", "Only buys spare parts"),
}
