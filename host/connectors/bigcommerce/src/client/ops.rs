//! Every BigCommerce operation the client calls: method, API root and path template (as the
//! OpenAPI documents spell it). Requests are built from these, and the conformance test drives
//! [`Operation::ALL`], so a new call cannot escape the spec check.

use reqwest::Method;

/// Which API root a path is under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// `/stores/{hash}/v2` (orders).
    V2,
    /// `/stores/{hash}/v3`.
    V3,
}

impl Api {
    /// `v2` or `v3`, as in the URL.
    pub fn as_str(self) -> &'static str {
        match self {
            Api::V2 => "v2",
            Api::V3 => "v3",
        }
    }
}

/// Declares the enum and its `ALL` from one list, so `ALL` cannot miss a variant.
macro_rules! operations {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// One BigCommerce operation.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Operation {
            $($(#[$doc])* $name,)*
        }

        impl Operation {
            /// Every operation, in declaration order.
            pub const ALL: &'static [Operation] = &[$(Operation::$name,)*];
        }
    };
}

operations! {
    /// `GET /v3/catalog/products`
    GetProducts,
    /// `POST /v3/catalog/products`
    CreateProduct,
    /// `PUT /v3/catalog/products` (batch)
    PutProducts,
    /// `GET /v3/catalog/products/{product_id}`
    GetProduct,
    /// `POST /v3/catalog/products/{product_id}/options`
    CreateOption,
    /// `GET /v3/catalog/products/{product_id}/variants`
    GetProductVariants,
    /// `POST /v3/catalog/products/{product_id}/variants`
    CreateVariant,
    /// `GET /v3/catalog/variants`
    GetVariants,
    /// `PUT /v3/catalog/variants` (batch)
    PutVariants,
    /// `PUT /v3/inventory/adjustments/absolute`
    PutInventoryAbsolute,
    /// `GET /v3/inventory/items`
    GetInventoryItems,
    /// `GET /v3/inventory/locations`
    GetLocations,
    /// `POST /v3/inventory/locations`
    CreateLocations,
    /// `GET /v2/orders`
    GetOrdersV2,
    /// `POST /v2/orders`
    CreateOrderV2,
    /// `GET /v2/orders/count`
    GetOrdersCountV2,
    /// `GET /v2/orders/{order_id}`
    GetOrderV2,
    /// `PUT /v2/orders/{order_id}`
    PutOrderV2,
    /// `GET /v2/orders/{order_id}/products`
    GetOrderProductsV2,
    /// `GET /v2/orders/{order_id}/shipping_addresses`
    GetOrderShippingAddressesV2,
    /// `GET /v2/orders/{order_id}/coupons`
    GetOrderCouponsV2,
    /// `GET /v2/orders/{order_id}/shipments`
    GetOrderShipmentsV2,
    /// `POST /v2/orders/{order_id}/shipments`
    CreateShipmentV2,
    /// `GET /v2/order_statuses`
    GetOrderStatusesV2,
    /// `GET /v2/time` (store clock; not in the OpenAPI documents)
    GetTimeV2,
    /// `GET /v3/orders/payment_actions/refunds`
    GetRefunds,
    /// `GET /v3/orders/payment_actions/refunds/{refund_id}`
    GetRefund,
    /// `POST /v3/orders/{order_id}/payment_actions/refunds`
    CreateRefund,
    /// `GET /v3/hooks`
    GetHooks,
    /// `POST /v3/hooks`
    CreateHook,
    /// `PUT /v3/hooks/{webhook_id}`
    PutHook,
}

impl Operation {
    /// HTTP method.
    pub fn method(self) -> Method {
        use Operation::*;
        match self {
            CreateProduct | CreateOption | CreateVariant | CreateLocations | CreateOrderV2
            | CreateShipmentV2 | CreateRefund | CreateHook => Method::POST,
            PutProducts | PutVariants | PutInventoryAbsolute | PutOrderV2 | PutHook => Method::PUT,
            _ => Method::GET,
        }
    }

    /// API root.
    pub fn api(self) -> Api {
        use Operation::*;
        match self {
            GetOrdersV2
            | CreateOrderV2
            | GetOrdersCountV2
            | GetOrderV2
            | PutOrderV2
            | GetOrderProductsV2
            | GetOrderShippingAddressesV2
            | GetOrderCouponsV2
            | GetOrderShipmentsV2
            | CreateShipmentV2
            | GetOrderStatusesV2
            | GetTimeV2 => Api::V2,
            _ => Api::V3,
        }
    }

    /// Path template below the API root, with the OpenAPI documents' parameter names.
    pub fn template(self) -> &'static str {
        use Operation::*;
        match self {
            GetProducts | CreateProduct | PutProducts => "/catalog/products",
            GetProduct => "/catalog/products/{product_id}",
            CreateOption => "/catalog/products/{product_id}/options",
            GetProductVariants | CreateVariant => "/catalog/products/{product_id}/variants",
            GetVariants | PutVariants => "/catalog/variants",
            PutInventoryAbsolute => "/inventory/adjustments/absolute",
            GetInventoryItems => "/inventory/items",
            GetLocations | CreateLocations => "/inventory/locations",
            GetOrdersV2 | CreateOrderV2 => "/orders",
            GetOrdersCountV2 => "/orders/count",
            GetOrderV2 | PutOrderV2 => "/orders/{order_id}",
            GetOrderProductsV2 => "/orders/{order_id}/products",
            GetOrderShippingAddressesV2 => "/orders/{order_id}/shipping_addresses",
            GetOrderCouponsV2 => "/orders/{order_id}/coupons",
            GetOrderShipmentsV2 | CreateShipmentV2 => "/orders/{order_id}/shipments",
            GetOrderStatusesV2 => "/order_statuses",
            GetTimeV2 => "/time",
            GetRefunds => "/orders/payment_actions/refunds",
            GetRefund => "/orders/payment_actions/refunds/{refund_id}",
            CreateRefund => "/orders/{order_id}/payment_actions/refunds",
            GetHooks | CreateHook => "/hooks",
            PutHook => "/hooks/{webhook_id}",
        }
    }

    /// The path with each `{param}` replaced, in order, by `ids`. Missing ids leave the
    /// placeholder (a bug the request then shows plainly); extra ids are ignored.
    pub fn path(self, ids: &[i64]) -> String {
        let mut out = String::new();
        let mut ids = ids.iter();
        let mut rest = self.template();
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let after = &rest[start..];
            let end = after.find('}').map_or(after.len(), |e| e + 1);
            match ids.next() {
                Some(id) => out.push_str(&id.to_string()),
                None => out.push_str(&after[..end]),
            }
            rest = &after[end..];
        }
        out.push_str(rest);
        out
    }

    /// `METHOD /vN/template`, for messages.
    pub fn label(self) -> String {
        format!(
            "{} /{}{}",
            self.method(),
            self.api().as_str(),
            self.template()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_fills_placeholders_in_order() {
        assert_eq!(
            Operation::CreateRefund.path(&[7]),
            "/orders/7/payment_actions/refunds"
        );
        assert_eq!(Operation::GetProduct.path(&[12]), "/catalog/products/12");
        assert_eq!(Operation::GetOrdersV2.path(&[]), "/orders");
    }

    #[test]
    fn method_root_and_template_identify_each_operation() {
        let keys: std::collections::BTreeSet<String> =
            Operation::ALL.iter().map(|o| o.label()).collect();
        assert_eq!(keys.len(), Operation::ALL.len());
    }
}
