//! Agreement checks: each terminal order's state is the one its items imply (TMF's
//! derivation rule) at every layer, and each product agrees with its CFSs in the service
//! inventory.

use super::{AuditInput, Finding};
use crate::domain::state::{OrderEvent, OrderState, ServiceState, derive_from_items};
use crate::layers::inventory::ProductStatus;

/// Whether a terminal order in `order` agrees with its items: `completed` ⇔ every item
/// completed, `failed` ⇔ every item failed, `partial` ⇔ a mix, `rejected` ⇔ every item
/// rejected, `cancelled` ⇔ every item terminal and none completed or partial (what a cancel
/// undid is cancelled, never built). A non-terminal order is not judged.
pub fn order_agrees_with_items(order: OrderState, items: &[OrderState]) -> bool {
    if !order.is_terminal() {
        return true;
    }
    if items.iter().any(|item| !item.is_terminal()) {
        return false;
    }
    match order {
        OrderState::Rejected => items.iter().all(|item| *item == OrderState::Rejected),
        OrderState::Cancelled => items
            .iter()
            .all(|item| !matches!(item, OrderState::Completed | OrderState::Partial)),
        _ => {
            let expected = match derive_from_items(items.iter().copied()) {
                Some(OrderEvent::Complete) => OrderState::Completed,
                Some(OrderEvent::Fail) => OrderState::Failed,
                Some(OrderEvent::CompletePartially) => OrderState::Partial,
                _ => return false,
            };
            expected == order
        }
    }
}

/// `item_state_disagreement`: terminal product, service and resource orders whose state is
/// not the one their items imply.
pub(super) fn check_item_states(input: &AuditInput<'_>) -> Finding {
    let mut finding = Finding::new("item_state_disagreement");
    let mut judge = |id: &dyn Fn() -> String, order: OrderState, items: Vec<OrderState>| {
        if !order_agrees_with_items(order, &items) {
            finding.add(|| {
                let items: Vec<&str> = items.iter().map(|state| state.as_str()).collect();
                format!("{} is {} but its items are {items:?}", id(), order.as_str())
            });
        }
    };
    for order in input.com.orders.values() {
        let items = order.items.iter().map(|item| item.state).collect();
        judge(&|| order.id.to_string(), order.state, items);
    }
    for order in input.som.orders.values() {
        // An item that completed before its order's cancel arrived stays `completed` (no
        // transition leaves a terminal state), but a cancel undid it: it counts as cancelled,
        // as SOM reports it to COM.
        let items = order
            .items
            .iter()
            .map(
                |item| match item.compensated && item.state == OrderState::Completed {
                    true => OrderState::Cancelled,
                    false => item.state,
                },
            )
            .collect();
        judge(&|| order.id.to_string(), order.state, items);
    }
    for order in input.rom.orders.values() {
        let items = order.items.iter().map(|item| item.state).collect();
        judge(&|| order.id.to_string(), order.state, items);
    }
    finding
}

/// `product_service_disagreement`: an active product whose CFS the service inventory holds
/// in another state than active, or a terminated product with a CFS still active. Only the
/// CFSs this process's inventory holds are judged (in split mode SOM's records live in its
/// own process).
pub(super) fn check_products(input: &AuditInput<'_>) -> Finding {
    let mut finding = Finding::new("product_service_disagreement");
    for product in input.inventory.products.values() {
        for service in &product.services {
            let Some(record) = input.inventory.services.get(service) else {
                continue;
            };
            let agrees = match product.status {
                ProductStatus::Active => record.state == ServiceState::Active,
                ProductStatus::Terminated => record.state != ServiceState::Active,
                ProductStatus::Created => true,
            };
            if !agrees {
                finding.add(|| {
                    format!(
                        "{} is {:?} but its service {} is {}",
                        product.id,
                        product.status,
                        record.id,
                        record.state.as_str()
                    )
                });
            }
        }
    }
    finding
}

#[cfg(test)]
mod tests {
    use super::order_agrees_with_items;
    use crate::domain::state::OrderState::{
        Cancelled, Completed, Failed, InProgress, Partial, Rejected,
    };

    #[test]
    fn the_derivation_rule_judges_terminal_orders() {
        assert!(order_agrees_with_items(Completed, &[Completed, Completed]));
        assert!(!order_agrees_with_items(Completed, &[Completed, Failed]));
        assert!(order_agrees_with_items(Failed, &[Failed, Rejected]));
        assert!(!order_agrees_with_items(Failed, &[Partial]));
        assert!(order_agrees_with_items(Partial, &[Completed, Failed]));
        assert!(order_agrees_with_items(Partial, &[Partial]));
        assert!(!order_agrees_with_items(Partial, &[Completed]));
        assert!(order_agrees_with_items(Cancelled, &[Cancelled, Failed]));
        assert!(!order_agrees_with_items(Cancelled, &[Completed]));
        assert!(order_agrees_with_items(Rejected, &[Rejected]));
        assert!(!order_agrees_with_items(Completed, &[InProgress]));
        assert!(order_agrees_with_items(InProgress, &[Completed]));
    }
}
