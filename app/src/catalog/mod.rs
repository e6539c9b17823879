//! Companies (with tickets and projects), vendors, products and contracts.

mod api;
mod companies_page;
mod contract_page;
mod contracts_page;
mod products_page;
mod vendors_page;

pub use api::*;
pub use companies_page::CompaniesPage;
pub use contract_page::ContractPage;
pub use contracts_page::ContractsPage;
pub use products_page::ProductsPage;
pub use vendors_page::VendorsPage;
