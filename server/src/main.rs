use clap::Parser;
use server::config::{Cli, Command};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// A request allocates and frees hundreds of small strings and vectors;
/// mimalloc does that in a fraction of glibc's instructions.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = dotenvy::dotenv();
    // Log lines go through a thread of their own that writes them in batches,
    // so a request never waits on the terminal or the log file. Not lossy:
    // when that thread falls behind, logging waits rather than drops lines.
    // The guard flushes what is left when main returns.
    let (log_writer, _log_guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("nexos-log")
        .finish(std::io::BufWriter::new(std::io::stdout()));
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into());
    let log = tracing_subscriber::fmt::layer().with_target(false).with_writer(log_writer).with_filter(filter);
    let counting = cli.config.count_statements.then(server::statements::layer);
    tracing_subscriber::registry().with(log).with(counting).init();
    let config = cli.config.clone();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::GenKey => {
            println!("{}", domain::crypto::EncryptionKey::generate());
            eprintln!("Set it as NEXOS_ENCRYPTION_KEY (keep it secret and backed up: credentials stored with it cannot be read without it).");
            Ok(())
        }
        Command::SeedDemo => {
            let store = server::open_store(&config).await?;
            if domain::demo::seed(&store).await? {
                println!("Seeded the demo MSP. Demo users sign in with the password \"{}\".", domain::demo::DEMO_PASSWORD);
            } else {
                println!("The database already has companies; the demo was not loaded.");
            }
            Ok(())
        }
        Command::CreateAdmin { email, name, password } => {
            let password = match password {
                Some(p) => p,
                None => prompt_password()?,
            };
            let store = server::open_store(&config).await?;
            let user = match store
                .create_user(domain::users::NewUser {
                    email: email.clone(),
                    name,
                    password: password.clone(),
                    role: domain::users::Role::Admin,
                })
                .await
            {
                Ok(u) => u,
                Err(e) if e.field.as_deref() == Some("email") && e.message.contains("exists") => {
                    let existing = store
                        .list_users()
                        .await?
                        .into_iter()
                        .find(|u| u.email == email.trim().to_lowercase())
                        .ok_or_else(|| anyhow::anyhow!(e.message.clone()))?;
                    let upd = domain::users::UserUpdate {
                        role: Some(domain::users::Role::Admin),
                        active: Some(true),
                        password: Some(password),
                        name: None,
                    };
                    store.update_user(&existing, existing.id, upd).await.map_err(|e| anyhow::anyhow!(e.message))?
                }
                Err(e) => anyhow::bail!("{}: {}", e.field.unwrap_or_default(), e.message),
            };
            println!("Admin {} can sign in now.", user.email);
            Ok(())
        }
    }
}

fn prompt_password() -> anyhow::Result<String> {
    use std::io::{BufRead, Write};
    print!("Password for the new admin (at least 10 characters): ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

async fn serve(config: server::config::Config) -> anyhow::Result<()> {
    let (router, state, _sandbox) = server::build_with_sandbox(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.addr))?;
    let url = config.public_url();
    tracing::info!(database = %domain::store::redact_url(&config.database_url), "listening on {url}");
    if !state.encryption_configured() {
        tracing::warn!("NEXOS_ENCRYPTION_KEY is not set: procurement is unavailable until it is (see README)");
    }
    let users = state.store.user_count().await?;
    println!();
    println!("  NEXOS Purchasing is running at {url}");
    if config.demo {
        println!("  Demo sign-in: admin@demo.msp, approver@demo.msp, purchaser@demo.msp, tech@demo.msp, viewer@demo.msp");
        println!("  Password for every demo user: {}", domain::demo::DEMO_PASSWORD);
        if state.pax8_sandbox {
            println!("  Pax8 is a local sandbox here: dispatch from /procurement; nothing reaches the real Pax8.");
        }
        if state.qbo.as_ref().is_some_and(|q| q.sandbox) {
            println!("  QuickBooks is a local sandbox here: connect it in Settings; nothing reaches Intuit.");
        }
    } else if users == 0 {
        println!("  No users yet: set NEXOS_ADMIN_EMAIL and NEXOS_ADMIN_PASSWORD and restart,");
        println!("  or run `server create-admin --email you@example.com`, or start with --demo.");
    } else {
        println!("  Sign in at {url}/login");
    }
    println!();
    // Counting wants the requests' statements alone: no worker beside them.
    let worker = (!config.count_statements).then(|| server::spawn_worker(state.clone(), &config));
    if config.count_statements {
        tracing::warn!("counting statements (NEXOS_COUNT_STATEMENTS): no worker runs; totals at /debug/statements");
    }
    server::serve(listener, router, server::shutdown_signal()).await?;
    if let Some((stop_worker, worker)) = worker {
        let _ = stop_worker.send(true);
        let _ = worker.await;
    }
    state.store.close().await;
    Ok(())
}
