import { createHash } from 'node:crypto';
import pg from 'pg';
import type { SeedContext } from '../../scripts/seed.js';
import { DEMO_ACCOUNTS, OTHER_OWNERS } from './demo-accounts.js';

/**
 * Demo restaurants around New York City Hall, with menus. Ids derive from names, so running the seed
 * again (every `npm start`) adds only what is missing: what owners changed in the app since is kept.
 */
const CENTRE = { lat: 40.7128, lng: -74.006 };

/** A stable UUID (v4 layout) for a seed name. */
function seedId(name: string): string {
  const bytes = createHash('sha256').update(`foodflow-seed:${name}`).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const DAYS = [0, 1, 2, 3, 4, 5, 6];
const HOURS = {
  allDay: DAYS.map((day) => ({ day, open: '00:00', close: '24:00' })),
  daytime: DAYS.map((day) => ({ day, open: '07:00', close: '24:00' })),
  // Open until 02:00: the hours after midnight belong to the next day.
  lateNight: DAYS.flatMap((day) => [
    { day, open: '00:00', close: '02:00' },
    { day, open: '11:00', close: '24:00' },
  ]),
};

type Menu = Record<string, [name: string, priceCents: number, description?: string][]>;

interface SeedRestaurant {
  name: string;
  cuisine: string;
  description: string;
  ownerId: string;
  /** Kilometres east and north of the centre. */
  offsetKm: [number, number];
  street: string;
  postalCode: string;
  rating: number;
  hours: keyof typeof HOURS;
  deliveryFeeCents: number;
  minOrderCents: number;
  prepTimeMinutes: number;
  menu: Menu;
}

const owner = DEMO_ACCOUNTS.owner.id;
const [marco, mei] = OTHER_OWNERS.map((o) => o.id) as [string, string];

const RESTAURANTS: SeedRestaurant[] = [
  {
    name: 'Olivia’s Trattoria',
    cuisine: 'italian',
    description: 'Fresh pasta and wood-fired pizza from the demo owner’s kitchen.',
    ownerId: owner,
    offsetKm: [0.4, 0.3],
    street: '12 Chambers St',
    postalCode: '10007',
    rating: 4.6,
    hours: 'allDay',
    deliveryFeeCents: 299,
    minOrderCents: 1500,
    prepTimeMinutes: 20,
    menu: {
      Antipasti: [
        ['Burrata', 1400, 'Tomatoes, basil, olive oil'],
        ['Arancini', 900, 'Saffron rice, mozzarella'],
        ['Bruschetta', 800],
      ],
      Pasta: [
        ['Spaghetti Carbonara', 1800, 'Guanciale, egg, pecorino'],
        ['Cacio e Pepe', 1600],
        ['Lasagna', 1900],
      ],
      Pizza: [
        ['Margherita', 1500],
        ['Diavola', 1700, 'Spicy salami'],
      ],
      Dolci: [['Tiramisu', 900]],
    },
  },
  {
    name: 'Olivia’s Taqueria',
    cuisine: 'mexican',
    description: 'Tacos al pastor, burritos and aguas frescas.',
    ownerId: owner,
    offsetKm: [-1.2, 1.8],
    street: '200 Canal St',
    postalCode: '10013',
    rating: 4.3,
    hours: 'daytime',
    deliveryFeeCents: 199,
    minOrderCents: 1000,
    prepTimeMinutes: 15,
    menu: {
      Tacos: [
        ['Al Pastor Taco', 450],
        ['Carnitas Taco', 450],
        ['Baja Fish Taco', 550],
      ],
      Burritos: [
        ['Chicken Burrito', 1200],
        ['Veggie Burrito', 1100],
        ['Carne Asada Burrito', 1400],
      ],
      Drinks: [
        ['Horchata', 400],
        ['Agua de Jamaica', 400],
      ],
    },
  },
  {
    name: 'Golden Dragon',
    cuisine: 'chinese',
    description: 'Cantonese classics and dim sum all day.',
    ownerId: mei,
    offsetKm: [1.0, 1.5],
    street: '15 Mott St',
    postalCode: '10013',
    rating: 4.4,
    hours: 'allDay',
    deliveryFeeCents: 249,
    minOrderCents: 1200,
    prepTimeMinutes: 20,
    menu: {
      'Dim Sum': [
        ['Har Gow', 650, 'Shrimp dumplings'],
        ['Siu Mai', 600],
        ['Char Siu Bao', 550],
      ],
      Mains: [
        ['Kung Pao Chicken', 1500],
        ['Beef Chow Fun', 1600],
        ['Mapo Tofu', 1300],
      ],
      Rice: [
        ['Yangzhou Fried Rice', 1100],
        ['Steamed Jasmine Rice', 300],
      ],
    },
  },
  {
    name: 'Sakura Sushi',
    cuisine: 'japanese',
    description: 'Nigiri, maki and bento boxes.',
    ownerId: mei,
    offsetKm: [2.1, 3.0],
    street: '88 E 10th St',
    postalCode: '10003',
    rating: 4.7,
    hours: 'lateNight',
    deliveryFeeCents: 399,
    minOrderCents: 2000,
    prepTimeMinutes: 25,
    menu: {
      Nigiri: [
        ['Salmon Nigiri', 700],
        ['Tuna Nigiri', 800],
        ['Eel Nigiri', 850],
      ],
      Maki: [
        ['California Roll', 900],
        ['Spicy Tuna Roll', 1100],
        ['Dragon Roll', 1600],
      ],
      Bento: [
        ['Chicken Teriyaki Bento', 1800],
        ['Salmon Bento', 2000],
      ],
    },
  },
  {
    name: 'Curry House',
    cuisine: 'indian',
    description: 'North Indian curries, tandoor breads and biryani.',
    ownerId: marco,
    offsetKm: [3.2, 4.1],
    street: '110 Lexington Ave',
    postalCode: '10016',
    rating: 4.5,
    hours: 'daytime',
    deliveryFeeCents: 299,
    minOrderCents: 1500,
    prepTimeMinutes: 30,
    menu: {
      Starters: [
        ['Samosa', 600],
        ['Onion Bhaji', 550],
      ],
      Curries: [
        ['Butter Chicken', 1700],
        ['Lamb Rogan Josh', 1900],
        ['Chana Masala', 1400],
        ['Palak Paneer', 1500],
      ],
      Breads: [
        ['Garlic Naan', 400],
        ['Chicken Biryani', 1800],
      ],
    },
  },
  {
    name: 'Bangkok Street',
    cuisine: 'thai',
    description: 'Street food from Bangkok: noodles, curries, papaya salad.',
    ownerId: marco,
    offsetKm: [-2.0, 3.5],
    street: '45 Bleecker St',
    postalCode: '10012',
    rating: 4.2,
    hours: 'allDay',
    deliveryFeeCents: 249,
    minOrderCents: 1200,
    prepTimeMinutes: 20,
    menu: {
      Noodles: [
        ['Pad Thai', 1400],
        ['Pad See Ew', 1400],
        ['Drunken Noodles', 1500],
      ],
      Curries: [
        ['Green Curry', 1500],
        ['Massaman Curry', 1600],
      ],
      Salads: [
        ['Som Tam', 1000],
        ['Larb Gai', 1100],
        ['Thai Iced Tea', 450],
      ],
    },
  },
  {
    name: 'Liberty Burger',
    cuisine: 'american',
    description: 'Smash burgers, fries and shakes.',
    ownerId: owner,
    offsetKm: [0.8, -0.9],
    street: '5 Wall St',
    postalCode: '10005',
    rating: 4.1,
    hours: 'lateNight',
    deliveryFeeCents: 199,
    minOrderCents: 1000,
    prepTimeMinutes: 15,
    menu: {
      Burgers: [
        ['Classic Smash', 1200],
        ['Double Cheese', 1500],
        ['Mushroom Swiss', 1400],
        ['Veggie Burger', 1300],
      ],
      Sides: [
        ['Fries', 500],
        ['Onion Rings', 600],
      ],
      Shakes: [
        ['Vanilla Shake', 700],
        ['Chocolate Shake', 700],
      ],
    },
  },
  {
    name: 'Athena Grill',
    cuisine: 'greek',
    description: 'Gyros, souvlaki and mezze.',
    ownerId: marco,
    offsetKm: [4.5, 6.0],
    street: '300 W 23rd St',
    postalCode: '10011',
    rating: 4.0,
    hours: 'daytime',
    deliveryFeeCents: 299,
    minOrderCents: 1200,
    prepTimeMinutes: 20,
    menu: {
      Mezze: [
        ['Hummus', 700],
        ['Tzatziki', 650],
        ['Spanakopita', 850],
      ],
      Plates: [
        ['Chicken Souvlaki', 1600],
        ['Lamb Gyro', 1500],
        ['Moussaka', 1700],
      ],
      Desserts: [
        ['Baklava', 600],
        ['Loukoumades', 650],
      ],
    },
  },
  {
    name: 'Seoul Kitchen',
    cuisine: 'korean',
    description: 'Bibimbap, Korean fried chicken and stews.',
    ownerId: mei,
    offsetKm: [2.8, 5.2],
    street: '32 W 32nd St',
    postalCode: '10001',
    rating: 4.6,
    hours: 'allDay',
    deliveryFeeCents: 349,
    minOrderCents: 1500,
    prepTimeMinutes: 25,
    menu: {
      Rice: [
        ['Bibimbap', 1500],
        ['Kimchi Fried Rice', 1300],
      ],
      Chicken: [
        ['Soy Garlic Wings', 1400],
        ['Yangnyeom Chicken', 1600],
      ],
      Stews: [
        ['Kimchi Jjigae', 1400],
        ['Sundubu Jjigae', 1400],
        ['Japchae', 1200],
        ['Tteokbokki', 1100],
      ],
    },
  },
  {
    name: 'Pho Saigon',
    cuisine: 'vietnamese',
    description: 'Pho, banh mi and fresh rolls.',
    ownerId: owner,
    offsetKm: [1.5, 2.2],
    street: '60 Baxter St',
    postalCode: '10013',
    rating: 4.3,
    hours: 'daytime',
    deliveryFeeCents: 199,
    minOrderCents: 1000,
    prepTimeMinutes: 15,
    menu: {
      Pho: [
        ['Pho Tai', 1400, 'Rare beef'],
        ['Pho Ga', 1300, 'Chicken'],
        ['Vegetable Pho', 1200],
      ],
      'Banh Mi': [
        ['Grilled Pork Banh Mi', 1000],
        ['Lemongrass Tofu Banh Mi', 950],
      ],
      Rolls: [
        ['Summer Rolls', 700],
        ['Crispy Spring Rolls', 700],
        ['Vietnamese Iced Coffee', 500],
      ],
    },
  },
  {
    name: 'Le Petit Bistro',
    cuisine: 'french',
    description: 'Bistro classics and pastries.',
    ownerId: marco,
    offsetKm: [-0.6, 2.6],
    street: '20 Prince St',
    postalCode: '10012',
    rating: 4.4,
    hours: 'daytime',
    deliveryFeeCents: 399,
    minOrderCents: 2000,
    prepTimeMinutes: 30,
    menu: {
      Entrées: [
        ['French Onion Soup', 1100],
        ['Escargots', 1400],
      ],
      Plats: [
        ['Steak Frites', 2800],
        ['Coq au Vin', 2600],
        ['Croque Monsieur', 1500],
      ],
      Desserts: [
        ['Crème Brûlée', 900],
        ['Tarte Tatin', 950],
        ['Croissant', 450],
      ],
    },
  },
  {
    name: 'Beirut Mezze',
    cuisine: 'middle-eastern',
    description: 'Falafel, shawarma and grilled kebabs.',
    ownerId: mei,
    offsetKm: [-3.0, -1.5],
    street: '1 Exchange Pl',
    postalCode: '07302',
    rating: 4.2,
    hours: 'allDay',
    deliveryFeeCents: 299,
    minOrderCents: 1200,
    prepTimeMinutes: 20,
    menu: {
      Wraps: [
        ['Falafel Wrap', 1000],
        ['Chicken Shawarma Wrap', 1200],
        ['Beef Shawarma Wrap', 1300],
      ],
      Plates: [
        ['Mixed Grill Plate', 2200],
        ['Falafel Plate', 1500],
      ],
      Sides: [
        ['Hummus', 700],
        ['Tabbouleh', 750],
        ['Baba Ghanoush', 750],
      ],
    },
  },
  {
    name: 'Brooklyn Bagels',
    cuisine: 'bakery',
    description: 'Hand-rolled bagels and coffee, open round the clock.',
    ownerId: owner,
    offsetKm: [2.5, -2.0],
    street: '100 Court St',
    postalCode: '11201',
    rating: 4.5,
    hours: 'allDay',
    deliveryFeeCents: 149,
    minOrderCents: 800,
    prepTimeMinutes: 10,
    menu: {
      Bagels: [
        ['Everything Bagel with Cream Cheese', 450],
        ['Lox Bagel', 1200],
        ['Egg and Cheese Bagel', 700],
      ],
      Coffee: [
        ['Drip Coffee', 300],
        ['Latte', 500],
        ['Cold Brew', 500],
      ],
      Pastries: [
        ['Black and White Cookie', 350],
        ['Cinnamon Babka', 600],
      ],
    },
  },
];

const kmToLat = (km: number): number => km / 111.195;
const kmToLng = (km: number): number => km / (111.195 * Math.cos((CENTRE.lat * Math.PI) / 180));

export async function seed(ctx: SeedContext): Promise<void> {
  const client = new pg.Client({ connectionString: ctx.urlFor('restaurants_service') });
  await client.connect();
  try {
    await client.query('BEGIN');
    let restaurants = 0;
    let items = 0;
    for (const r of RESTAURANTS) {
      const id = seedId(`restaurant:${r.name}`);
      const created = await client.query(
        `INSERT INTO restaurants (id, owner_id, name, description, cuisine, phone, street, city, postal_code, lat, lng,
                                  time_zone, opening_hours, rating, delivery_fee_cents, min_order_cents,
                                  prep_time_minutes)
         VALUES ($1, $2, $3, $4, $5, '+1 212 555 0123', $6, 'New York', $7, $8, $9, 'America/New_York', $10, $11,
                 $12, $13, $14)
         ON CONFLICT (id) DO NOTHING`,
        [
          id,
          r.ownerId,
          r.name,
          r.description,
          r.cuisine,
          r.street,
          r.postalCode,
          CENTRE.lat + kmToLat(r.offsetKm[1]),
          CENTRE.lng + kmToLng(r.offsetKm[0]),
          JSON.stringify(HOURS[r.hours]),
          r.rating,
          r.deliveryFeeCents,
          r.minOrderCents,
          r.prepTimeMinutes,
        ],
      );
      restaurants += created.rowCount ?? 0;
      for (const [position, [category, dishes]] of Object.entries(r.menu).entries()) {
        const categoryId = seedId(`category:${r.name}:${category}`);
        await client.query(
          `INSERT INTO menu_categories (id, restaurant_id, name, position) VALUES ($1, $2, $3, $4)
           ON CONFLICT (id) DO NOTHING`,
          [categoryId, id, category, position],
        );
        for (const [itemPosition, [name, priceCents, description]] of dishes.entries()) {
          const item = await client.query(
            `INSERT INTO menu_items (id, category_id, restaurant_id, name, description, price_cents, position)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (id) DO NOTHING`,
            [
              seedId(`item:${r.name}:${category}:${name}`),
              categoryId,
              id,
              name,
              description ?? null,
              priceCents,
              itemPosition,
            ],
          );
          items += item.rowCount ?? 0;
        }
      }
    }
    await client.query('COMMIT');
    ctx.log(`restaurants: ${restaurants} restaurant(s) and ${items} menu item(s) around New York City created`);
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    await client.end();
  }
}
