-- QuickBooks Online as a company is set up: the tax code put on every
-- purchase line (non-US companies need one), and the connected company's
-- country, home currency and multicurrency switch, read from its
-- CompanyInfo and Preferences at connect (cleared at disconnect).

ALTER TABLE settings ADD COLUMN qbo_tax_code_id TEXT;
ALTER TABLE settings ADD COLUMN qbo_country TEXT;
ALTER TABLE settings ADD COLUMN qbo_home_currency TEXT;
ALTER TABLE settings ADD COLUMN qbo_multicurrency INTEGER;
ALTER TABLE settings ADD COLUMN qbo_company_read_at TEXT;
