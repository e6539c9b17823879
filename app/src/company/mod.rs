//! A company's page: its details and Pax8 link, tickets, projects, contract
//! lines, and its purchase orders (so it sits above the catalog and the POs).

mod page;

pub use page::CompanyPage;
