/** The shop's domain as its API shows it. Money is integer minor units with an ISO 4217 code. */

/** The largest amount of money the API carries (minor units): prices, line totals and order totals alike. */
export const MAX_MONEY_AMOUNT = 100_000_000;

export interface Money {
  amount: number;
  currency: string;
}

export interface Category {
  slug: string;
  name: string;
  description: string;
  productCount: number;
  createdAt: string;
  updatedAt: string;
}

export type Attributes = Record<string, string | number | boolean>;

export interface Product {
  id: number;
  sku: string;
  slug: string;
  name: string;
  description: string;
  category: { slug: string; name: string };
  price: Money;
  stock: number;
  attributes: Attributes;
  createdAt: string;
  updatedAt: string;
}

export const PRODUCT_SORTS = ['price_asc', 'price_desc', 'name', 'newest'] as const;
export type ProductSort = (typeof PRODUCT_SORTS)[number];

export interface ProductQuery {
  category?: string | undefined;
  q?: string | undefined;
  minPrice?: number | undefined;
  maxPrice?: number | undefined;
  inStock?: boolean | undefined;
  sort: ProductSort;
  page: number;
  limit: number;
}

export interface ProductPage {
  items: Product[];
  page: number;
  limit: number;
  total: number;
}

export interface PopularProduct {
  product: Product;
  unitsSold: number;
}

export interface OrderLine {
  productId: number;
  sku: string;
  name: string;
  quantity: number;
  unitPrice: Money;
  lineTotal: Money;
}

export interface Order {
  id: string;
  status: 'placed';
  customer: { name: string; email: string };
  items: OrderLine[];
  total: Money;
  createdAt: string;
}

export interface NewOrder {
  customer: { name: string; email: string };
  items: { productId: number; quantity: number }[];
}

export interface NewProduct {
  sku: string;
  slug?: string | undefined;
  name: string;
  description?: string | undefined;
  category: string;
  price: Money;
  stock: number;
  attributes?: Attributes | undefined;
}

export type ProductPatch = Partial<Pick<NewProduct, 'name' | 'description' | 'category' | 'stock' | 'attributes'>> & {
  price?: Money | undefined;
};

export interface NewCategory {
  slug: string;
  name: string;
  description?: string | undefined;
}

export type CategoryPatch = Partial<Pick<NewCategory, 'name' | 'description'>>;
